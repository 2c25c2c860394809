import Crypto
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// The TLS client key for mutual TLS when it is held in the TPM (`client_key = "tpm:0x…"`):
/// swift-nio-ssl hands the handshake's data to `sign`, which hashes it with SHA-256 and has the
/// TPM make the ECDSA signature (ecdsa_secp256r1_sha256, the only scheme offered: a P-256 key).
///
/// A TPM signature takes a TPM round trip (milliseconds to tens of them on a firmware TPM), and
/// `sign` is called on the channel's event loop, which must never block: the signature is made
/// on a thread pool and the future completes back on the event loop.
public struct TPMTLSKey: NIOSSLCustomPrivateKey, Hashable {
    let key: TPMDeviceKey
    let pool: NIOThreadPool

    public init(key: TPMDeviceKey, pool: NIOThreadPool = .singleton) {
        self.key = key
        self.pool = pool
    }

    public var signatureAlgorithms: [SignatureAlgorithm] { [.ecdsaSecp256R1Sha256] }

    public func sign(channel: Channel, algorithm: SignatureAlgorithm, data: ByteBuffer) -> EventLoopFuture<ByteBuffer> {
        guard algorithm == .ecdsaSecp256R1Sha256 else {
            return channel.eventLoop.makeFailedFuture(TPMTLSKeyError.unsupportedAlgorithm(algorithm.rawValue))
        }
        let digest = Array(SHA256.hash(data: Array(data.readableBytesView)))
        let key = self.key
        return pool.runIfActive(eventLoop: channel.eventLoop) {
            try key.signature(forSHA256Digest: digest)
        }.map { ByteBuffer(bytes: $0) }
    }

    public func decrypt(channel: Channel, data: ByteBuffer) -> EventLoopFuture<ByteBuffer> {
        // RSA key exchange only; an EC key never decrypts.
        channel.eventLoop.makeFailedFuture(TPMTLSKeyError.unsupportedAlgorithm(0))
    }

    public static func == (a: TPMTLSKey, b: TPMTLSKey) -> Bool { a.key === b.key }
    public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(key)) }
}
