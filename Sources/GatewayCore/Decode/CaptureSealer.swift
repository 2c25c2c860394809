/// Turns scans into sealed envelopes: classify, build the capture event, seal. Pure apart from
/// the HPKE randomness; the caller supplies sequence numbers, ids and the sealing time, so the
/// spool can hand out sequence numbers inside the transaction that stores the result.
public struct CaptureSealer: Sendable {
    public let classifier: TagClassifier
    public let sealer: EnvelopeSealer

    public init(classifier: TagClassifier, sealer: EnvelopeSealer) {
        self.classifier = classifier
        self.sealer = sealer
    }

    public var device: String { sealer.device }

    public func seal(_ scan: Scan, id: String, seq: UInt64, sealedAtNanos: Int64) throws -> Envelope {
        let event = CaptureEvent(id: id, device: sealer.device, seq: seq, scan: scan, tag: classifier.classify(scan.bytes, reader: scan.readerID))
        return try sealer.seal(event, sealedAtNanos: sealedAtNanos)
    }
}
