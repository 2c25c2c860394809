import Crypto
import Foundation

/// One HPKE context shared by the envelopes sealed together — a reader's group of scans in one
/// spool transaction — under `SealSuite.name` or `SealSuite.p256Name`: SetupAuthS once, then each envelope under its
/// own exported key and nonce (`SealSuite`). Sendable and immutable, so a group's envelopes
/// are sealed on all cores at once.
///
/// Made by `EnvelopeSealer.group(sealedAtNanos:)` just before a group is sealed and dropped
/// right after: the gateway keeps nothing that could open what it spooled (the ephemeral
/// private key never leaves `HPKEAuthSender.context`, the exporter secret lives only in the
/// keyed HMAC state, freed with the group).
public struct SealingGroup: Sendable {
    public let device: String
    public let keyID: String
    /// The envelope's `suite`: the export construction for the device key's KEM.
    public let suite: String
    let sealedAt: String
    let enc: String
    let exporter: HPKEKeySchedule.Exporter

    init(
        device: String,
        keyID: String,
        sealedAtNanos: Int64,
        enc: [UInt8],
        exporter: HPKEKeySchedule.Exporter,
        suite: String
    ) {
        self.device = device
        self.keyID = keyID
        self.suite = suite
        self.sealedAt = RFC3339.format(unixNanos: sealedAtNanos)
        self.enc = Data(enc).base64EncodedString()
        self.exporter = exporter
    }

    public func seal(_ event: CaptureEvent) throws -> Envelope {
        precondition(event.device == device, "event sealed for another device")
        let aad = SealSuite.aad(id: event.id, device: device, seq: event.seq)
        let exported = exporter.export(context: SealSuite.exporterContext(aad: aad), length: SealSuite.exportLength)
        let (key, nonce) = SealSuite.keyAndNonce(exported)
        let box = try AES.GCM.seal(try event.jsonBytes(), using: key, nonce: nonce, authenticating: aad)
        var ct = Data(box.ciphertext)
        ct.append(box.tag)
        return Envelope(
            id: event.id,
            device: device,
            seq: event.seq,
            sealedAt: sealedAt,
            suite: suite,
            keyID: keyID,
            enc: enc,
            ct: ct.base64EncodedString()
        )
    }
}
