import Crypto
import Foundation

/// The HPKE configurations of the wire format (RFC 9180): DHKEM(X25519, HKDF-SHA256) or
/// DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, in auth mode so that only a gateway
/// holding its registered static key can produce envelopes the server accepts as that
/// gateway's. The KEM is the device key's: P-256 for a key held in a TPM 2.0 (which has no
/// X25519), X25519 otherwise; the server key must be of the same KEM.
///
/// Three suites, told apart by the envelope's `suite` (docs/wire-format.md):
/// - `name` and `p256Name` (sealed now), the same construction over either KEM: one HPKE
///   context per *group* of envelopes sealed together; each envelope is encrypted with AES-256-GCM under 44 bytes from the context's secret export
///   interface — `Export("gatewayd envelope key\n" ‖ aad, 44)` = key (32) ‖ nonce (12) — so it
///   opens on its own, in any order, and its key is bound to its own header. A group costs one
///   ephemeral key and one DH instead of one per envelope.
/// - `singleShotName` (sealed until 2026-12): one context per envelope, single-shot Seal.
///   Servers keep opening it: spools written before an upgrade still hold such envelopes.
public enum SealSuite {
    public static let name = "HPKE-Auth-X25519-SHA256-AES256GCM-Export"
    /// The export construction over DHKEM(P-256, HKDF-SHA256): same `info`, exporter context
    /// and AES-256-GCM; the KEM id in RFC 9180's suite ids keeps the two apart.
    public static let p256Name = "HPKE-Auth-P256-SHA256-AES256GCM-Export"
    /// HPKE `info` of `name` and `p256Name`: binds every context to this protocol and
    /// construction.
    public static let info = Data("gatewayd envelope v2".utf8)

    /// The export construction's suite name for a device key of `kem`.
    public static func name(for kem: HPKEKEM) -> String {
        switch kem {
        case .x25519: return name
        case .p256: return p256Name
        }
    }

    /// What an envelope's `suite` names: its KEM, and whether it is the export construction
    /// (else single-shot); nil for a suite this version does not know.
    public static func parse(_ suite: String) -> (kem: HPKEKEM, exported: Bool)? {
        switch suite {
        case name: return (.x25519, true)
        case p256Name: return (.p256, true)
        case singleShotName: return (.x25519, false)
        default: return nil
        }
    }

    public static let singleShotName = "HPKE-Base/Auth-X25519-SHA256-AES256GCM"
    public static let singleShotInfo = Data("gatewayd envelope v1".utf8)

    public static let ciphersuite = HPKE.Ciphersuite(
        kem: .Curve25519_HKDF_SHA256,
        kdf: .HKDF_SHA256,
        aead: .AES_GCM_256
    )

    /// swift-crypto's name for the configuration of `p256Name`.
    public static let p256Ciphersuite = HPKE.Ciphersuite(kem: .P256_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .AES_GCM_256)

    /// HPKE AAD: the envelope header fields a server routes and deduplicates by. A header
    /// moved onto another ciphertext fails to open.
    public static func aad(id: String, device: String, seq: UInt64) -> [UInt8] {
        Array("\(id)\n\(device)\n\(seq)".utf8)
    }

    /// The exporter context an envelope's key and nonce are exported under (`name` only).
    public static func exporterContext(aad: [UInt8]) -> [UInt8] {
        exporterLabel + aad
    }

    static let exporterLabel = Array("gatewayd envelope key\n".utf8)
    /// AES-256-GCM key (32 bytes) and nonce (12 bytes), exported together.
    public static let exportLength = 44

    /// Key and nonce from an export of `exportLength` bytes.
    static func keyAndNonce(_ exported: [UInt8]) -> (SymmetricKey, AES.GCM.Nonce) {
        (SymmetricKey(data: exported[0..<32]), try! AES.GCM.Nonce(data: exported[32..<44]))  // 12 bytes: always valid
    }
}
