import GatewayCore
import Logging
import NIOConcurrencyHelpers

/// Where readers hand their scans: classifies, seals and commits them to the spool in one
/// transaction, then wakes the forwarder. Synchronous on purpose: a reader calls it from its
/// own thread and treats a scan as taken only when it returns, so a scan is never acknowledged
/// (its bytes consumed from the device) before its sealed envelope is on disk.
public final class CaptureSink: Sendable {
    private let spool: Spool
    private let sealer: CaptureSealer
    private let doorbell: Doorbell
    private let ids = NIOLockedValueBox(UUIDv7Generator())
    private let logger: Logger
    private let context: ContextTracker?

    public init(spool: Spool, sealer: CaptureSealer, doorbell: Doorbell, context: ContextTracker? = nil, logger: Logger = Logger(label: "gatewayd")) {
        self.spool = spool
        self.sealer = sealer
        self.doorbell = doorbell
        self.context = context
        self.logger = logger
    }

    /// - Returns: the sequence numbers the scans were stored under.
    @discardableResult
    public func commit(_ scans: [Scan], mark: InputMark? = nil) throws(SpoolError) -> [UInt64] {
        let now = Clocks.wallNanos()
        let result = try spool.append(scans, nowNanos: now, mark: mark) { scan, seq in
            let id = ids.withLockedValue { gen in
                var rng = SystemRandomNumberGenerator()
                return gen.next(unixMillis: UInt64(max(0, scan.wallNanos)) / 1_000_000, using: &rng)
            }
            return try sealer.seal(scan, id: id, seq: seq, sealedAtNanos: now) { [context] tag, scan in
                context?.context(tag: tag, scan: scan) ?? .none
            }
        }
        GatewayMetrics.scansSpooled(reader: scans.first?.readerID ?? "-", count: result.seqs.count)
        if let d = result.dropped {
            GatewayMetrics.dropped(d.count)
            // overflow = drop_oldest: scans are lost by the site's own choice; say so loudly,
            // with the sequence numbers, so the gap at the server has an explanation.
            logger.error("spool full: dropped the oldest envelopes (overflow = drop_oldest)", metadata: [
                "dropped": "\(d.count)", "first_seq": "\(d.firstSeq)", "last_seq": "\(d.lastSeq)", "dropped_total": "\(d.total)",
            ])
        }
        doorbell.ring()
        return result.seqs
    }

    /// Spools a heartbeat like a scan (same sequence, same forwarder). `make` gets the id and
    /// seq the spool hands out.
    @discardableResult
    public func commitHeartbeat(_ make: (String, UInt64) -> CaptureEvent) throws(SpoolError) -> UInt64? {
        let now = Clocks.wallNanos()
        let placeholder = Scan(readerID: "heartbeat", bytes: [], wallNanos: now, monotonicNanos: Clocks.monotonicNanos())
        let result = try spool.append([placeholder], nowNanos: now) { _, seq in
            let id = ids.withLockedValue { gen in
                var rng = SystemRandomNumberGenerator()
                return gen.next(unixMillis: UInt64(max(0, now)) / 1_000_000, using: &rng)
            }
            return try sealer.sealHeartbeat(make(id, seq), sealedAtNanos: now)
        }
        doorbell.ring()
        return result.seqs.first
    }

    /// Where the terminal is now, if gpsd is configured (for heartbeats).
    public func currentLocation() -> Location? {
        context?.locationNow(monotonicNanos: Clocks.monotonicNanos())
    }

    public func inputMark(reader: String) throws(SpoolError) -> InputMark? {
        try spool.inputMark(reader: reader)
    }

    public func clearInputMark(reader: String) throws(SpoolError) {
        try spool.clearInputMark(reader: reader)
    }
}
