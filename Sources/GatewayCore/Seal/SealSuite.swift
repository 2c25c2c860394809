import Crypto
import Foundation

/// The one HPKE configuration of wire format v1 (RFC 9180): DHKEM(X25519, HKDF-SHA256),
/// HKDF-SHA256, AES-256-GCM, in auth mode so that only a gateway holding its registered static
/// key can produce envelopes the server accepts as that gateway's.
public enum SealSuite {
    public static let name = "HPKE-Base/Auth-X25519-SHA256-AES256GCM"
    public static let ciphersuite = HPKE.Ciphersuite(kem: .Curve25519_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .AES_GCM_256)
    /// HPKE `info`: binds every context to this protocol and version.
    public static let info = Data("gatewayd envelope v1".utf8)

    /// HPKE AAD: the envelope header fields a server routes and deduplicates by. A header
    /// moved onto another ciphertext fails to open.
    public static func aad(id: String, device: String, seq: UInt64) -> [UInt8] {
        Array("\(id)\n\(device)\n\(seq)".utf8)
    }
}
