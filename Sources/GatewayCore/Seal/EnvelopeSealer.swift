import Crypto
import Foundation

/// Seals capture events into envelopes for one server key (and the next, during rotation).
///
/// Envelopes are independent: each opens on its own, may be delivered in any order or twice,
/// and the gateway keeps no state that could decrypt what it has already sealed — a stolen
/// terminal leaks no past scans from its spool. Envelopes sealed together share one HPKE
/// context (`SealingGroup`), which makes a burst cheap without tying them to each other.
public struct EnvelopeSealer: Sendable {
    public let device: String
    public let serverKeyID: String
    private let serverKey: Curve25519.KeyAgreement.PublicKey
    /// Server key rotation: the next key and the wall-clock time from which to seal to it.
    public let next: NextServerKey?
    /// RFC 9180 Auth mode with DH(device, server) computed once, per server key; nil only for
    /// a server key no DH can be made with (a low-order point), which `group` then reports.
    private let sender: HPKEAuthSender?
    private let senderNext: HPKEAuthSender?

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

    public enum SealError: Error, CustomStringConvertible {
        case unusableServerKey(keyID: String)
        public var description: String {
            switch self {
            case .unusableServerKey(let id):
                return
                    "server public key \(id) is not a usable X25519 key (no shared secret can be made with it); check [server] public_key"
            }
        }
    }

    public init(
        device: String,
        deviceKey: Curve25519.KeyAgreement.PrivateKey,
        serverKey: Curve25519.KeyAgreement.PublicKey,
        serverKeyID: String? = nil,
        next: NextServerKey? = nil
    ) {
        self.device = device
        self.serverKey = serverKey
        self.serverKeyID = serverKeyID ?? X25519KeyPEM.keyID(of: serverKey)
        self.next = next
        sender = try? HPKEAuthSender(recipient: serverKey, sender: deviceKey, info: SealSuite.info)
        senderNext = next.flatMap { try? HPKEAuthSender(recipient: $0.key, sender: deviceKey, info: SealSuite.info) }
    }

    /// The key id and key an envelope sealed at `nanos` goes to.
    public func recipient(atNanos nanos: Int64) -> (String, Curve25519.KeyAgreement.PublicKey) {
        if let next, nanos >= next.fromNanos { return (next.keyID, next.key) }
        return (serverKeyID, serverKey)
    }

    /// A fresh HPKE context for the envelopes sealed at `sealedAtNanos` (one fresh ephemeral
    /// key, one DH): seal a group with it, then let it go.
    public func group(sealedAtNanos: Int64) throws -> SealingGroup {
        let toNext = next.map { sealedAtNanos >= $0.fromNanos } ?? false
        let (keyID, _) = recipient(atNanos: sealedAtNanos)
        guard let sender = toNext ? senderNext : sender else { throw SealError.unusableServerKey(keyID: keyID) }
        let (enc, context) = try sender.context()
        return SealingGroup(
            device: device,
            keyID: keyID,
            sealedAtNanos: sealedAtNanos,
            enc: enc,
            exporterSecret: context.exporterSecret
        )
    }

    /// One envelope in a context of its own.
    public func seal(_ event: CaptureEvent, sealedAtNanos: Int64) throws -> Envelope {
        try group(sealedAtNanos: sealedAtNanos).seal(event)
    }
}
