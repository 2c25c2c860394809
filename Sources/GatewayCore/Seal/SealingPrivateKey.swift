import Crypto
import Foundation

/// A private key of one of the sealing KEMs, held in this process: a server key, an ephemeral
/// key, or a device key kept in a file (`gatewayd keygen`, `gatewayd keygen --p256`). As a
/// device key it is the software `StaticKeyAgreement`; a key held in a TPM is another type.
public enum SealingPrivateKey: StaticKeyAgreement {
    case x25519(Curve25519.KeyAgreement.PrivateKey)
    case p256(P256.KeyAgreement.PrivateKey)

    /// GenerateKeyPair() of the KEM.
    public static func generate(_ kem: HPKEKEM) -> SealingPrivateKey {
        switch kem {
        case .x25519: return .x25519(.init())
        case .p256: return .p256(.init())
        }
    }

    public var kem: HPKEKEM {
        switch self {
        case .x25519: return .x25519
        case .p256: return .p256
        }
    }

    public var publicKey: SealingPublicKey {
        switch self {
        case .x25519(let k): return SealingPublicKey(k.publicKey)
        case .p256(let k): return SealingPublicKey(k.publicKey)
        }
    }

    public var publicKeyRaw: [UInt8] { publicKey.raw }

    public func sharedSecret(withRecipient pkR: [UInt8]) throws(StaticKeyAgreementError) -> [UInt8] {
        guard let dh = dh(pkR) else {
            throw .recipientKeyRejected(
                detail: "not a usable \(kem.publicKeyLength)-byte \(kem) public key, as the \(kem) device key needs"
            )
        }
        return dh
    }

    /// DH(sk, pk) for a serialised public key of the same KEM; nil when `pk` is of another
    /// length, not on the curve, or (X25519) of low order.
    func dh(_ pk: [UInt8]) -> [UInt8]? {
        guard pk.count == kem.publicKeyLength else { return nil }
        switch self {
        case .x25519(let k):
            guard let p = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: pk) else { return nil }
            return try? k.sharedSecretFromKeyAgreement(with: p).withUnsafeBytes { Array($0) }
        case .p256(let k):
            guard pk.first == 0x04, let p = try? P256.KeyAgreement.PublicKey(x963Representation: pk) else { return nil }
            // swift-crypto's ECDH output is the x-coordinate: RFC 9180 §7.1.4's DH for P-256.
            return try? k.sharedSecretFromKeyAgreement(with: p).withUnsafeBytes { Array($0) }
        }
    }

    /// PKCS#8 PEM ("PRIVATE KEY"), as `openssl genpkey` writes it.
    public var pemRepresentation: String {
        switch self {
        case .x25519(let k): return X25519KeyPEM.privateKeyPEM(k)
        case .p256(let k): return k.pemRepresentation + "\n"
        }
    }

    /// An X25519 or a P-256 private key in PKCS#8 PEM (`openssl genpkey -algorithm X25519`,
    /// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`); a P-256 key in
    /// SEC1 form ("EC PRIVATE KEY") is read too.
    public init(pemRepresentation text: String) throws(KeyFormatError) {
        if let k = try? X25519KeyPEM.privateKey(fromPEM: text) {
            self = .x25519(k)
        } else if let k = try? P256.KeyAgreement.PrivateKey(pemRepresentation: text) {
            self = .p256(k)
        } else {
            if !text.contains("-----BEGIN EC PRIVATE KEY-----") {
                _ = try X25519KeyPEM.decode(text, label: "PRIVATE KEY")  // not PEM at all: say so
            }
            throw .unsupportedKey(
                expected:
                    "an X25519 or P-256 private key in PKCS#8 (gatewayd keygen, or openssl genpkey -algorithm X25519)"
            )
        }
    }
}
