/// Turns scans into sealed envelopes: decode, classify, build the capture event, redact, seal. Pure
/// apart from the HPKE randomness; the caller supplies sequence numbers, ids and the sealing
/// time, so the spool can hand out sequence numbers inside the transaction that stores them.
public struct CaptureSealer: Sendable {
    public let classifier: TagClassifier
    public let sealer: EnvelopeSealer
    /// Per reader: what its bytes are when they cannot say (`[[reader]] decode`).
    public let hints: [String: TagDecoder.Hint]
    /// Runs on every event before it is sealed: nothing reaches the spool unredacted.
    public let redactor: Redactor

    public init(
        classifier: TagClassifier,
        sealer: EnvelopeSealer,
        redactor: Redactor,
        hints: [String: TagDecoder.Hint] = [:]
    ) {
        self.classifier = classifier
        self.sealer = sealer
        self.redactor = redactor
        self.hints = hints
    }

    public var device: String { sealer.device }

    /// The decoded model, the misread if the scan failed its format's checks, and the class.
    public func interpret(_ scan: Scan) -> (DecodedTag?, Misread?, TagClassification) {
        Self.interpret(scan, classifier: classifier, hints: hints)
    }

    public static func interpret(
        _ scan: Scan,
        classifier: TagClassifier,
        hints: [String: TagDecoder.Hint]
    ) -> (DecodedTag?, Misread?, TagClassification) {
        // A misread the reader saw (a torn NFC read) is never classified, whatever was read.
        if let failure = scan.readFailure { return (nil, failure, .unknown) }
        let year = RFC3339.year(unixNanos: scan.wallNanos)
        var hint = hints[scan.readerID] ?? .auto
        if let nfc = scan.nfc {
            // A tap is its NDEF message or, from a tag without one, its UID as text. An NDEF
            // message starts with a record header with MB set (≥ 0x80): never hex text.
            hint = scan.bytes.elementsEqual(nfc.uid.utf8) ? .text : .ndef
        }
        let result = TagDecoder(referenceYear: year).decode(scan.bytes, symbology: scan.symbology, hint: hint)
        switch result {
        case .success(let d):
            // An NDEF message is classified by what it says: its first URI or Text record (a
            // Digital Link on a tag is a subject like a printed one).
            let said = d.ndef?.lazy.compactMap { $0.uri ?? $0.text }.first.map { Array($0.utf8) }
            switch classifier.classifyChecked(said ?? scan.bytes, reader: scan.readerID, decoded: d) {
            case .success(let c): return (d, nil, c)
            case .failure(let m): return (d, m, .unknown)
            }
        case .failure(let m):
            // A misread is never classified as a valid subject or badge.
            return (nil, m, .unknown)
        }
    }

    /// The event as it will be sealed: decoded, classified, given its context (location,
    /// operator, clock — `context` sees the classification, so a badge tap can sign in first),
    /// and redacted.
    public func event(
        _ scan: Scan,
        id: String,
        seq: UInt64,
        context: (TagClassification, Scan) -> CaptureContext = { _, _ in .none }
    ) -> CaptureEvent {
        redactor.redact(unredacted(scan, id: id, seq: seq, context: context)).event
    }

    /// The first, order-dependent half: decoded, classified, with its context — not yet
    /// redacted, so it must never leave memory. Scans of one group go through it in order.
    public func unredacted(
        _ scan: Scan,
        id: String,
        seq: UInt64,
        context: (TagClassification, Scan) -> CaptureContext = { _, _ in .none }
    ) -> CaptureEvent {
        unredacted(scan, interpreted: interpret(scan), id: id, seq: seq, context: context)
    }

    /// As `unredacted(_:id:seq:context:)` with `interpret(scan)` already done: decoding and
    /// classifying depend on nothing but the scan, so a group does them on all cores first.
    public func unredacted(
        _ scan: Scan,
        interpreted: (DecodedTag?, Misread?, TagClassification),
        id: String,
        seq: UInt64,
        context: (TagClassification, Scan) -> CaptureContext = { _, _ in .none }
    ) -> CaptureEvent {
        let (decoded, misread, tag) = interpreted
        var event = CaptureEvent(
            id: id,
            device: sealer.device,
            seq: seq,
            scan: scan,
            tag: tag,
            decoded: decoded,
            misread: misread
        )
        event.apply(context(tag, scan))
        return event
    }

    /// The second half: redaction and sealing, independent for each event (the reader's group
    /// runs it on all cores, in one HPKE context: `EnvelopeSealer.group`).
    /// - Returns: the envelope, and the event as it was sealed (redacted), for the terminal's
    ///   own feedback (`ScanRecord`).
    public func redactAndSeal(
        _ event: CaptureEvent,
        in group: SealingGroup
    ) throws -> (envelope: Envelope, sealed: CaptureEvent) {
        let redacted = redactor.redact(event).event
        return (try group.seal(redacted), redacted)
    }

    /// A heartbeat passes the redaction rules too (its location is coarsened like a scan's).
    public func sealHeartbeat(_ event: CaptureEvent, sealedAtNanos: Int64) throws -> Envelope {
        try sealer.seal(redactor.redact(event).event, sealedAtNanos: sealedAtNanos)
    }

    /// A reply's answer is free text a person typed or chose: it passes the redaction rules as
    /// a scanned text does (detectors, `text` field rules). Its `raw` stays absent: the text is
    /// the only form of the answer that leaves the terminal.
    public func redactReply(_ event: CaptureEvent) -> CaptureEvent {
        var redacted = redactor.redact(event).event
        redacted.raw = nil
        return redacted
    }

    public func sealReply(_ event: CaptureEvent, sealedAtNanos: Int64) throws -> Envelope {
        try sealer.seal(redactReply(event), sealedAtNanos: sealedAtNanos)
    }

    public func seal(
        _ scan: Scan,
        id: String,
        seq: UInt64,
        sealedAtNanos: Int64,
        context: (TagClassification, Scan) -> CaptureContext = { _, _ in .none }
    ) throws -> Envelope {
        try sealer.seal(event(scan, id: id, seq: seq, context: context), sealedAtNanos: sealedAtNanos)
    }
}
