import Crypto
import Foundation

/// X25519 keys in the PEM forms OpenSSL uses, so that `openssl genpkey -algorithm X25519`
/// keys work as well as ours: PKCS#8 (RFC 5958, RFC 8410 §7) for private keys and
/// SubjectPublicKeyInfo (RFC 8410 §4) for public keys.
///
/// Both DER encodings are fixed-length for X25519, so they are matched against their exact
/// prefixes rather than parsed by a general ASN.1 decoder.
public enum X25519KeyPEM {
    /// SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.110 }, OCTET STRING { OCTET STRING (32) } }
    static let pkcs8Prefix: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x6E, 0x04, 0x22, 0x04, 0x20,
    ]
    /// SEQUENCE { SEQUENCE { OID 1.3.101.110 }, BIT STRING (0 unused bits, 32 bytes) }
    static let spkiPrefix: [UInt8] = [
        0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x6E, 0x03, 0x21, 0x00,
    ]

    public static func privateKeyPEM(_ key: Curve25519.KeyAgreement.PrivateKey) -> String {
        pem(label: "PRIVATE KEY", der: pkcs8Prefix + Array(key.rawRepresentation))
    }

    public static func publicKeyPEM(_ key: Curve25519.KeyAgreement.PublicKey) -> String {
        pem(label: "PUBLIC KEY", der: spkiPrefix + Array(key.rawRepresentation))
    }

    public static func privateKey(fromPEM text: String) throws(KeyFormatError) -> Curve25519.KeyAgreement.PrivateKey {
        let der = try decode(text, label: "PRIVATE KEY")
        guard der.count == pkcs8Prefix.count + 32, der.starts(with: pkcs8Prefix) else {
            throw .notX25519(expected: "an X25519 private key in PKCS#8 (openssl genpkey -algorithm X25519)")
        }
        do {
            return try .init(rawRepresentation: der.suffix(32))
        } catch {
            throw .notX25519(expected: "a 32-byte X25519 private key")
        }
    }

    public static func publicKey(fromPEM text: String) throws(KeyFormatError) -> Curve25519.KeyAgreement.PublicKey {
        let der = try decode(text, label: "PUBLIC KEY")
        guard der.count == spkiPrefix.count + 32, der.starts(with: spkiPrefix) else {
            throw .notX25519(expected: "an X25519 public key in SubjectPublicKeyInfo form (openssl pkey -pubout)")
        }
        do {
            return try .init(rawRepresentation: der.suffix(32))
        } catch {
            throw .notX25519(expected: "a 32-byte X25519 public key")
        }
    }

    /// Every X25519 public key in a file of concatenated PEM blocks (a device mid-rotation has
    /// two); blocks that are not X25519 public keys are skipped.
    public static func publicKeys(fromPEMBundle text: String) -> [Curve25519.KeyAgreement.PublicKey] {
        let end = "-----END PUBLIC KEY-----"
        return text.components(separatedBy: end).dropLast().compactMap { try? publicKey(fromPEM: $0 + end) }
    }

    /// A short, stable id for a public key: the first 8 bytes of SHA-256 over the raw key, in
    /// hex. Envelopes carry it so a server holding several keys (rotation) knows which to use.
    public static func keyID(of key: Curve25519.KeyAgreement.PublicKey) -> String {
        let digest = SHA256.hash(data: key.rawRepresentation)
        return digest.prefix(8).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    static func pem(label: String, der: [UInt8]) -> String {
        let b64 = Data(der).base64EncodedString()
        var lines: [Substring] = []
        var rest = b64[...]
        while !rest.isEmpty {
            lines.append(rest.prefix(64))
            rest = rest.dropFirst(64)
        }
        return "-----BEGIN \(label)-----\n" + lines.joined(separator: "\n") + "\n-----END \(label)-----\n"
    }

    static func decode(_ text: String, label: String) throws(KeyFormatError) -> [UInt8] {
        let begin = "-----BEGIN \(label)-----"
        let end = "-----END \(label)-----"
        guard let b = text.range(of: begin), let e = text.range(of: end, range: b.upperBound..<text.endIndex) else {
            throw .notPEM(expectedLabel: label)
        }
        let body = text[b.upperBound..<e.lowerBound].filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: String(body)) else { throw .notPEM(expectedLabel: label) }
        return Array(data)
    }
}

public enum KeyFormatError: Error, Equatable, CustomStringConvertible {
    case notPEM(expectedLabel: String)
    case notX25519(expected: String)
    /// Neither an X25519 nor a P-256 key (`SealingPublicKey`, `SealingPrivateKey`).
    case unsupportedKey(expected: String)

    public var description: String {
        switch self {
        case .notPEM(let label): return "not a PEM file with a '\(label)' block"
        case .notX25519(let expected), .unsupportedKey(let expected): return "expected \(expected)"
        }
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
