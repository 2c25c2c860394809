import Crypto
import Foundation
import Synchronization

/// Seals capture events into envelopes for one server key (and the next, during rotation).
///
/// Envelopes are independent: each opens on its own, may be delivered in any order or twice,
/// and the gateway keeps no state that could decrypt what it has already sealed — a stolen
/// terminal leaks no past scans from its spool. Envelopes sealed together share one HPKE
/// context (`SealingGroup`), which makes a burst cheap without tying them to each other.
///
/// The suite follows the device key (`SealSuite.name(for:)`): X25519 or P-256, the latter for
/// a key held in a TPM. The server key must be of the same KEM.
public struct EnvelopeSealer: Sendable {
    public let device: String
    public let serverKeyID: String
    /// The `suite` of every envelope sealed here.
    public let suite: String
    private let serverKey: SealingPublicKey
    /// Server key rotation: the next key and the wall-clock time from which to seal to it.
    public let next: NextServerKey?
    private let deviceKey: any StaticKeyAgreement
    /// RFC 9180 Auth mode with DH(device, server) asked of the device key once per server key,
    /// on the first group sealed to it, and kept (`Senders`) — or once per group for a key in
    /// hardware (`StaticKeyAgreement.sharedSecretMayBeKept`).
    private let senders = Senders()

    public struct NextServerKey: Sendable {
        public var key: SealingPublicKey
        public var keyID: String
        public var fromNanos: Int64
        public init(key: SealingPublicKey, keyID: String? = nil, fromNanos: Int64) {
            self.key = key
            self.keyID = keyID ?? key.keyID
            self.fromNanos = fromNanos
        }

        public init(key: Curve25519.KeyAgreement.PublicKey, keyID: String? = nil, fromNanos: Int64) {
            self.init(key: SealingPublicKey(key), keyID: keyID, fromNanos: fromNanos)
        }
    }

    /// Why no group could be sealed. The capture path tells them apart with `isTransient`.
    public enum SealError: Error, Equatable, CustomStringConvertible {
        /// No DH can be made with this server key (another KEM than the device key's, or not a
        /// usable point): every envelope to it fails until the configuration is fixed.
        case unusableServerKey(keyID: String, detail: String)
        /// The device key did not answer (`StaticKeyAgreementError.keyUnavailable`: a TPM busy
        /// or gone for a moment). Nothing was sealed and nothing is kept: the scans can be held
        /// and sealed later, when `group` is asked again and the key answers.
        case deviceKeyUnavailable(detail: String)

        /// True when asking again later may succeed (hold the scans); false for a
        /// configuration error.
        public var isTransient: Bool {
            if case .deviceKeyUnavailable = self { return true }
            return false
        }

        public var description: String {
            switch self {
            case .unusableServerKey(let id, let detail):
                return
                    "server public key \(id) is not usable with the device key (\(detail)); check [server] public_key"
            case .deviceKeyUnavailable(let detail):
                return "the device key cannot be used now (\(detail)); nothing was sealed"
            }
        }
    }

    public init(
        device: String,
        deviceKey: any StaticKeyAgreement,
        serverKey: SealingPublicKey,
        serverKeyID: String? = nil,
        next: NextServerKey? = nil
    ) {
        self.device = device
        self.deviceKey = deviceKey
        self.suite = SealSuite.name(for: deviceKey.kem)
        self.serverKey = serverKey
        self.serverKeyID = serverKeyID ?? serverKey.keyID
        self.next = next
    }

    public init(
        device: String,
        deviceKey: Curve25519.KeyAgreement.PrivateKey,
        serverKey: Curve25519.KeyAgreement.PublicKey,
        serverKeyID: String? = nil,
        next: NextServerKey? = nil
    ) {
        self.init(
            device: device,
            deviceKey: SealingPrivateKey.x25519(deviceKey),
            serverKey: SealingPublicKey(serverKey),
            serverKeyID: serverKeyID,
            next: next
        )
    }

    /// The key id and key an envelope sealed at `nanos` goes to.
    public func recipient(atNanos nanos: Int64) -> (String, SealingPublicKey) {
        if let next, nanos >= next.fromNanos { return (next.keyID, next.key) }
        return (serverKeyID, serverKey)
    }

    /// A fresh HPKE context for the envelopes sealed at `sealedAtNanos` (one fresh ephemeral
    /// key, one DH): seal a group with it, then let it go. The first group to a server key
    /// also asks the device key for DH(device, server) — a TPM round trip for a key held
    /// there — so call it off the event loops.
    public func group(sealedAtNanos: Int64) throws(SealError) -> SealingGroup {
        let (keyID, key) = recipient(atNanos: sealedAtNanos)
        let sender = try senders.sender(for: key, keyID: keyID, deviceKey: deviceKey)
        let enc: [UInt8]
        let context: HPKEKeySchedule.Context
        do {
            (enc, context) = try sender.context()
        } catch {
            throw .unusableServerKey(keyID: keyID, detail: "\(error)")
        }
        return SealingGroup(
            device: device,
            keyID: keyID,
            sealedAtNanos: sealedAtNanos,
            enc: enc,
            exporter: sender.schedule.exporter(context.exporterSecret),
            suite: suite
        )
    }

    /// One envelope in a context of its own.
    public func seal(_ event: CaptureEvent, sealedAtNanos: Int64) throws -> Envelope {
        try group(sealedAtNanos: sealedAtNanos).seal(event)
    }

    /// The `HPKEAuthSender` of each server key, made on first use. The device key is asked
    /// outside the lock, so a slow key store blocks only the groups that need its answer; two
    /// first groups at once may both ask, and either answer is the same DH.
    private final class Senders: Sendable {
        private let byKey = Mutex<[SealingPublicKey: HPKEAuthSender]>([:])

        func sender(
            for key: SealingPublicKey,
            keyID: String,
            deviceKey: any StaticKeyAgreement
        ) throws(SealError) -> HPKEAuthSender {
            if let s = byKey.withLock({ $0[key] }) { return s }
            do {
                let s = try HPKEAuthSender(recipient: key, sender: deviceKey, info: SealSuite.info)
                // A key in hardware is asked again for the next group: its answer goes with
                // this group's sender.
                if deviceKey.sharedSecretMayBeKept { byKey.withLock { $0[key] = s } }
                return s
            } catch {
                switch error {
                case .keyUnavailable(let detail): throw .deviceKeyUnavailable(detail: detail)
                case .recipientKeyRejected(let detail): throw .unusableServerKey(keyID: keyID, detail: detail)
                }
            }
        }
    }
}
