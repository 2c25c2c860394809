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

    public init(device: String, deviceKey: Curve25519.KeyAgreement.PrivateKey,
                serverKey: Curve25519.KeyAgreement.PublicKey, serverKeyID: String? = nil) {
        self.device = device
        self.deviceKey = deviceKey
        self.serverKey = serverKey
        self.serverKeyID = serverKeyID ?? X25519KeyPEM.keyID(of: serverKey)
    }

    public func seal(_ event: CaptureEvent, sealedAtNanos: Int64) throws -> Envelope {
        precondition(event.device == device, "event sealed for another device")
        var sender = try HPKE.Sender(
            recipientKey: serverKey, ciphersuite: SealSuite.ciphersuite,
            info: SealSuite.info, authenticatedBy: deviceKey)
        let ct = try sender.seal(try event.jsonBytes(),
                                 authenticating: SealSuite.aad(id: event.id, device: device, seq: event.seq))
        return Envelope(
            id: event.id, device: device, seq: event.seq,
            sealedAt: RFC3339.format(unixNanos: sealedAtNanos),
            suite: SealSuite.name, keyID: serverKeyID,
            enc: Data(sender.encapsulatedKey).base64EncodedString(),
            ct: Data(ct).base64EncodedString())
    }
}
