import Crypto
import Foundation

/// A public key of one of the sealing KEMs (`HPKEKEM`), held as RFC 9180's serialisation: the
/// form that goes into the key schedule, into `key_id` and onto the wire, whatever the curve.
/// Always a valid point: every initialiser checks it.
public struct SealingPublicKey: Sendable, Hashable {
    public let kem: HPKEKEM
    /// SerializePublicKey: 32 raw bytes (X25519) or 65 bytes uncompressed SEC1 (P-256).
    public let raw: [UInt8]

    public init(_ key: Curve25519.KeyAgreement.PublicKey) {
        kem = .x25519
        raw = Array(key.rawRepresentation)
    }

    public init(_ key: P256.KeyAgreement.PublicKey) {
        kem = .p256
        raw = Array(key.x963Representation)
    }

    /// DeserializePublicKey: `raw` must have the KEM's length and, for P-256, be an
    /// uncompressed point on the curve.
    public init(kem: HPKEKEM, raw: [UInt8]) throws(KeyFormatError) {
        guard raw.count == kem.publicKeyLength else {
            throw .unsupportedKey(expected: "\(kem.publicKeyLength) bytes for a \(kem) public key")
        }
        switch kem {
        case .x25519:
            guard let k = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw) else {
                throw .unsupportedKey(expected: "a 32-byte X25519 public key")
            }
            self.init(k)
        case .p256:
            guard raw.first == 0x04, let k = try? P256.KeyAgreement.PublicKey(x963Representation: raw) else {
                throw .unsupportedKey(expected: "an uncompressed P-256 point (65 bytes, 04 ‖ x ‖ y) on the curve")
            }
            self.init(k)
        }
    }

    var x25519: Curve25519.KeyAgreement.PublicKey? {
        kem == .x25519 ? try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw) : nil
    }

    var p256: P256.KeyAgreement.PublicKey? {
        kem == .p256 ? try? P256.KeyAgreement.PublicKey(x963Representation: raw) : nil
    }

    /// The first 8 bytes of SHA-256 over `raw`, hex: for X25519 the id `X25519KeyPEM.keyID`
    /// has always given; for P-256 the same rule over the 65-byte point.
    public var keyID: String {
        SHA256.hash(data: raw).prefix(8).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    /// SubjectPublicKeyInfo PEM ("PUBLIC KEY"), as `openssl pkey -pubout` writes it: RFC 8410
    /// for X25519, RFC 5480 (id-ecPublicKey, prime256v1, uncompressed point) for P-256.
    public var pemRepresentation: String {
        if let k = x25519 { return X25519KeyPEM.publicKeyPEM(k) }
        return p256!.pemRepresentation + "\n"  // valid by construction
    }

    /// An X25519 or a P-256 public key in SubjectPublicKeyInfo PEM.
    public init(pemRepresentation text: String) throws(KeyFormatError) {
        if let k = try? X25519KeyPEM.publicKey(fromPEM: text) {
            self.init(k)
        } else if let k = try? P256.KeyAgreement.PublicKey(
            pemRepresentation: Self.firstBlock(text, label: "PUBLIC KEY")
        ) {
            self.init(k)
        } else {
            _ = try X25519KeyPEM.decode(text, label: "PUBLIC KEY")  // not PEM at all: say so
            throw .unsupportedKey(
                expected: "an X25519 or P-256 public key in SubjectPublicKeyInfo form (openssl pkey -pubout)"
            )
        }
    }

    /// Every X25519 or P-256 public key in a file of concatenated PEM blocks (a device mid-
    /// rotation has two, possibly of different KEMs); other blocks are skipped.
    public static func keys(fromPEMBundle text: String) -> [SealingPublicKey] {
        let end = "-----END PUBLIC KEY-----"
        return text.components(separatedBy: end).dropLast().compactMap {
            try? SealingPublicKey(pemRepresentation: $0 + end)
        }
    }

    /// The first `label` block of `text` alone: swift-crypto's PEM reader wants exactly one.
    static func firstBlock(_ text: String, label: String) -> String {
        let begin = "-----BEGIN \(label)-----"
        let end = "-----END \(label)-----"
        guard let b = text.range(of: begin), let e = text.range(of: end, range: b.upperBound..<text.endIndex) else {
            return text
        }
        return String(text[b.lowerBound..<e.upperBound])
    }
}
