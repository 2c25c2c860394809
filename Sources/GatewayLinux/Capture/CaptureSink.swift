import GatewayCore
import GatewaySystem
import Logging
import NIOConcurrencyHelpers

/// Where readers hand their scans: classifies, seals and commits them to the spool in one
/// transaction, then wakes the forwarder. Synchronous on purpose: a reader calls it from its
/// own thread and treats a scan as taken only when it returns, so a scan is never acknowledged
/// (its bytes consumed from the device) before its sealed envelope is on disk.
public final class CaptureSink: Sendable {
    /// nil in listen mode (`--probe --listen`): scans are shown, never spooled or sent.
    private let spool: Spool?
    /// Swapped as a whole on reload (schemas, redaction, keys); a commit uses one throughout.
    private let sealer: NIOLockedValueBox<CaptureSealer>
    private let doorbell: Doorbell
    private let ids = NIOLockedValueBox((UUIDv7Generator(), BufferedRandom()))
    private let logger: Logger
    private let context: ContextTracker?
    private let listener: (@Sendable (CaptureEvent) -> Void)?
    /// Told what was spooled (as sealed), for the kiosk page.
    private let feedback: FeedbackHub?

    public init(
        spool: Spool,
        sealer: CaptureSealer,
        doorbell: Doorbell,
        context: ContextTracker? = nil,
        feedback: FeedbackHub? = nil,
        logger: Logger = Logger(label: "gatewayd")
    ) {
        self.spool = spool
        self.sealer = NIOLockedValueBox(sealer)
        self.doorbell = doorbell
        self.context = context
        self.feedback = feedback
        self.logger = logger
        listener = nil
    }

    /// Listen mode: each scan is decoded, classified and redacted exactly as it would be
    /// sealed, handed to `listener`, and then forgotten.
    public init(
        listeningWith sealer: CaptureSealer,
        context: ContextTracker? = nil,
        logger: Logger,
        listener: @escaping @Sendable (CaptureEvent) -> Void
    ) {
        spool = nil
        self.sealer = NIOLockedValueBox(sealer)
        doorbell = Doorbell()
        self.context = context
        self.logger = logger
        self.listener = listener
        feedback = nil
    }

    /// Reload: scans committed from now on are classified, redacted and sealed by `new`.
    public func replace(sealer new: CaptureSealer) {
        sealer.withLockedValue { $0 = new }
    }

    private func nextID(_ wallNanos: Int64) -> String {
        ids.withLockedValue { state in
            state.0.next(unixMillis: UInt64(max(0, wallNanos)) / 1_000_000, using: &state.1)
        }
    }

    /// What a commit stored: the scans' sequence numbers (none in listen mode) and the misreads
    /// among them, as their events carry them — what a reader tells its operator (an NFC
    /// reader's red light) comes from the same decision that was sealed.
    public struct Committed: Sendable {
        public var seqs: [UInt64]
        public var misreads: [Misread]
    }

    @discardableResult
    public func commit(_ scans: [Scan], mark: InputMark? = nil) throws(CommitError) -> Committed {
        let sealer = self.sealer.withLockedValue { $0 }
        let contextFor: (TagClassification, Scan) -> CaptureContext = { [context] tag, scan in
            context?.context(tag: tag, scan: scan) ?? .none
        }
        guard let spool else {
            var misread: [Misread] = []
            for scan in scans {
                let event = sealer.event(scan, id: nextID(scan.wallNanos), seq: 0, context: contextFor)
                if let m = event.misread { misread.append(m) }
                listener?(event)
            }
            return Committed(seqs: [], misreads: misread)
        }
        let now = Clocks.wallNanos()
        var classes: [String: Int] = [:]
        var misreads: [String: Int] = [:]
        var misread: [Misread] = []
        let records = NIOLockedValueBox<[ScanRecord]>([])
        // One HPKE context for the group (one ephemeral key, one DH), whatever its size. Made
        // before the spool transaction: when the device key does not answer (a TPM gone), the
        // scans are not taken and the reader holds them (`ScanCommitter`), as a full spool would.
        let group: SealingGroup
        do {
            group = try sealer.sealer.group(sealedAtNanos: now)
        } catch {
            throw .sealing(error)
        }
        // Slice by slice inside the transaction (`Spool.append`): decoding and classification
        // on all cores; then in order, numbers and operator sessions; then redaction and
        // sealing, the costly and independent part, on all cores again.
        let result: AppendResult
        do {
            result = try spool.append(
                scans,
                nowNanos: now,
                mark: mark,
                prepareSlice: { slice, first in
                    let interpreted = ParallelMap.map(Array(slice)) { sealer.interpret($0) }
                    return zip(slice, interpreted).enumerated().map { i, pair in
                        let (scan, tag) = pair
                        let event = sealer.unredacted(
                            scan,
                            interpreted: tag,
                            id: nextID(scan.wallNanos),
                            seq: first + UInt64(i),
                            context: contextFor
                        )
                        classes[event.tag.kind.rawValue, default: 0] += 1
                        if let m = event.misread {
                            misreads["misread_" + Self.labelSafe(m.format), default: 0] += 1
                            misread.append(m)
                        }
                        return event
                    }
                },
                seal: { [feedback] event in
                    let (envelope, sealed) = try sealer.redactAndSeal(event, in: group)
                    if feedback != nil { records.withLockedValue { $0.append(ScanRecord(sealed: sealed)) } }
                    return envelope
                }
            )
        } catch {
            throw .spool(error)
        }
        feedback?.spooled(records.withLockedValue { $0 })
        let reader = scans.first?.readerID ?? "-"
        GatewayMetrics.scansSpooled(reader: reader, byClass: classes)
        MemoryFootprint.noteActivity(scans.count)
        for (reason, n) in misreads { GatewayMetrics.decodeFailure(reader: reader, reason: reason, count: n) }
        if let d = result.dropped {
            GatewayMetrics.dropped(d.count)
            // overflow = drop_oldest: scans are lost by the site's own choice; say so loudly,
            // with the sequence numbers, so the gap at the server has an explanation.
            logger.error(
                "spool full: dropped the oldest envelopes (overflow = drop_oldest)",
                metadata: [
                    "dropped": "\(d.count)", "first_seq": "\(d.firstSeq)", "last_seq": "\(d.lastSeq)",
                    "dropped_total": "\(d.total)",
                ]
            )
        }
        doorbell.ring()
        return Committed(seqs: result.seqs, misreads: misread)
    }

    /// A metric label from a format name (`schema acme` → `schema_acme`).
    static func labelSafe(_ s: String) -> String {
        String(s.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    /// Spools a heartbeat like a scan (same sequence, same forwarder). `make` gets the id and
    /// seq the spool hands out.
    @discardableResult
    public func commitHeartbeat(_ make: (String, UInt64) -> CaptureEvent) throws(SpoolError) -> UInt64? {
        guard let spool else { return nil }
        let sealer = self.sealer.withLockedValue { $0 }
        let now = Clocks.wallNanos()
        let placeholder = Scan(
            readerID: "heartbeat",
            bytes: [],
            wallNanos: now,
            monotonicNanos: Clocks.monotonicNanos()
        )
        let result = try spool.append([placeholder], nowNanos: now) { _, seq in
            try sealer.sealHeartbeat(make(nextID(now), seq), sealedAtNanos: now)
        }
        doorbell.ring()
        return result.seqs.first
    }

    /// Spools the person's reply to a case message like a scan: in the same sequence, to the
    /// same forwarder, its answer redacted as a scanned text is (a person may type an id or a
    /// phone number) and sealed; on disk before this returns, so a reply is never lost once
    /// the page says it was taken. Blocking (a spool commit): not on an event loop.
    /// - Returns: the reply as sealed, for the page; nil in listen mode.
    @discardableResult
    public func commitReply(_ reply: CaseReply, answer: String) throws(SpoolError) -> KioskState.ReplyView? {
        guard let spool else { return nil }
        let sealer = self.sealer.withLockedValue { $0 }
        let now = Clocks.wallNanos()
        let placeholder = Scan(readerID: "kiosk", bytes: [], wallNanos: now, monotonicNanos: Clocks.monotonicNanos())
        var sealed: CaptureEvent?
        let result = try spool.append([placeholder], nowNanos: now) { scan, seq in
            let event = CaptureEvent.reply(
                id: nextID(now),
                device: sealer.device,
                seq: seq,
                wallNanos: now,
                monotonicNanos: scan.monotonicNanos,
                reply: reply,
                answer: answer
            )
            let redacted = sealer.redactReply(event)
            sealed = redacted
            return try sealer.sealer.seal(redacted, sealedAtNanos: now)
        }
        doorbell.ring()
        // Ids only: the answer is what a person wrote.
        logger.info(
            "reply to a case message spooled",
            metadata: [
                "message": "\(reply.message)", "case": "\(reply.ref)", "id": "\(sealed?.id ?? "-")",
                "seq": "\(result.seqs.first ?? 0)",
            ]
        )
        let view = KioskState.ReplyView(
            message: reply.message,
            ref: reply.ref,
            answer: sealed?.text ?? "",
            at: RFC3339.format(unixNanos: now)
        )
        feedback?.replied(view)
        return view
    }

    /// Where the terminal is now as an event sealed now would say it (coarsened by the
    /// redaction rules), for the kiosk page; nil without gpsd.
    public func redactedLocationNow() -> Location? {
        guard let location = currentLocation() else { return nil }
        let sealer = self.sealer.withLockedValue { $0 }
        var e = CaptureEvent(
            id: "kiosk",
            device: sealer.device,
            seq: 0,
            scan: Scan(
                readerID: "kiosk",
                bytes: [],
                wallNanos: Clocks.wallNanos(),
                monotonicNanos: Clocks.monotonicNanos()
            ),
            tag: .unknown
        )
        e.raw = nil
        e.text = nil
        e.location = location
        return sealer.redactor.redact(e).event.location
    }

    /// Where the terminal is now, if gpsd is configured (for heartbeats).
    public func currentLocation() -> Location? {
        context?.locationNow(monotonicNanos: Clocks.monotonicNanos())
    }

    public func inputMark(reader: String) throws(SpoolError) -> InputMark? {
        try spool?.inputMark(reader: reader)
    }

    public func clearInputMark(reader: String) throws(SpoolError) {
        try spool?.clearInputMark(reader: reader)
    }
}
