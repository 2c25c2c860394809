import Crypto
import Foundation

/// The two DHKEMs (RFC 9180 §4.1, §7.1) gatewayd seals with: DHKEM(X25519, HKDF-SHA256) for
/// software keys, DHKEM(P-256, HKDF-SHA256) for device keys a TPM 2.0 holds (a TPM has no
/// X25519). Both use HKDF-SHA256 and a 32-byte DH output, so only the identifier and the
/// public key encoding differ.
public enum HPKEKEM: Sendable, Hashable, CustomStringConvertible {
    /// KEM 0x0020: public keys are the 32 raw bytes, DH is X25519.
    case x25519
    /// KEM 0x0010: public keys are uncompressed SEC1 points (65 bytes, `04 ‖ x ‖ y`), DH is
    /// ECDH's x-coordinate (32 bytes).
    case p256

    /// The KEM identifier of RFC 9180 §7.1.
    public var id: UInt16 {
        switch self {
        case .x25519: return 0x0020
        case .p256: return 0x0010
        }
    }

    /// Npk = Nenc: the length of a serialised public key and of an encapsulated key.
    public var publicKeyLength: Int {
        switch self {
        case .x25519: return 32
        case .p256: return 65
        }
    }

    /// swift-crypto's name for the same KEM, for its `HPKE.Sender` / `HPKE.Recipient`.
    var swiftCryptoKEM: HPKE.KEM {
        switch self {
        case .x25519: return .Curve25519_HKDF_SHA256
        case .p256: return .P256_HKDF_SHA256
        }
    }

    public var description: String {
        switch self {
        case .x25519: return "X25519"
        case .p256: return "P-256"
        }
    }
}
