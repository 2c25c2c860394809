import Crypto
import Foundation

/// Seals capture events into envelopes for one server key.
///
/// Each envelope gets its own HPKE context (a fresh ephemeral key): envelopes are independent,
/// may be delivered in any order or twice, and the gateway keeps no state that could decrypt
/// what it has already sealed — a stolen terminal leaks no past scans from its spool.
public struct EnvelopeSealer: Sendable {
    public let device: String
    public let serverKeyID: String
    private let serverKey: Curve25519.KeyAgreement.PublicKey
    private let deviceKey: Curve25519.KeyAgreement.PrivateKey
    /// Server key rotation: the next key and the wall-clock time from which to seal to it.
    public let next: NextServerKey?
    /// RFC 9180 Auth-mode sealing with the static DH computed once, per server key; nil (then
    /// swift-crypto's `HPKE.Sender` seals) only for a key no DH can be made with.
    private let fast: HPKEAuthSender?
    private let fastNext: HPKEAuthSender?

    public struct NextServerKey: Sendable {
        public var key: Curve25519.KeyAgreement.PublicKey
        public var keyID: String
        public var fromNanos: Int64
        public init(key: Curve25519.KeyAgreement.PublicKey, keyID: String? = nil, fromNanos: Int64) {
            self.key = key
            self.keyID = keyID ?? X25519KeyPEM.keyID(of: key)
            self.fromNanos = fromNanos
        }
    }

    public init(device: String, deviceKey: Curve25519.KeyAgreement.PrivateKey,
                serverKey: Curve25519.KeyAgreement.PublicKey, serverKeyID: String? = nil, next: NextServerKey? = nil) {
        self.device = device
        self.deviceKey = deviceKey
        self.serverKey = serverKey
        self.serverKeyID = serverKeyID ?? X25519KeyPEM.keyID(of: serverKey)
        self.next = next
        fast = try? HPKEAuthSender(recipient: serverKey, sender: deviceKey, info: SealSuite.info)
        fastNext = next.flatMap { try? HPKEAuthSender(recipient: $0.key, sender: deviceKey, info: SealSuite.info) }
    }

    /// The key id and key an envelope sealed at `nanos` goes to.
    public func recipient(atNanos nanos: Int64) -> (String, Curve25519.KeyAgreement.PublicKey) {
        if let next, nanos >= next.fromNanos { return (next.keyID, next.key) }
        return (serverKeyID, serverKey)
    }

    public func seal(_ event: CaptureEvent, sealedAtNanos: Int64) throws -> Envelope {
        precondition(event.device == device, "event sealed for another device")
        let toNext = next.map { sealedAtNanos >= $0.fromNanos } ?? false
        let (keyID, recipientKey) = recipient(atNanos: sealedAtNanos)
        let aad = SealSuite.aad(id: event.id, device: device, seq: event.seq)
        let plaintext = try event.jsonBytes()
        let enc: [UInt8], ct: [UInt8]
        if let fast = toNext ? fastNext : self.fast {
            (enc, ct) = try fast.seal(plaintext, aad: aad)
        } else {
            var sender = try HPKE.Sender(recipientKey: recipientKey, ciphersuite: SealSuite.ciphersuite,
                                         info: SealSuite.info, authenticatedBy: deviceKey)
            ct = Array(try sender.seal(plaintext, authenticating: aad))
            enc = Array(sender.encapsulatedKey)
        }
        return Envelope(
            id: event.id, device: device, seq: event.seq,
            sealedAt: RFC3339.format(unixNanos: sealedAtNanos),
            suite: SealSuite.name, keyID: keyID,
            enc: Data(enc).base64EncodedString(), ct: Data(ct).base64EncodedString())
    }
}
