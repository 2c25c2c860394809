import GatewayCore
import GatewaySystem
import Logging

/// The part every reader shares after framing: turns framed lines into scans, commits them,
/// and holds the reader back (never drops) while the spool cannot take them.
final class ScanCommitter {
    /// Group commit: a burst is spooled up to this many scans per transaction (one fsync);
    /// a single scan commits at once, never waiting for company.
    static let maxScansPerCommit = 256

    let readerID: String
    let sink: CaptureSink
    private let stop: StopSignal
    let logger: Logger
    private(set) var scansCommitted = 0
    private(set) var overlongDiscarded = 0
    private var dedup: DedupWindow

    init(readerID: String, sink: CaptureSink, stop: StopSignal, logger: Logger, dedupMillis: Int = 0) {
        self.readerID = readerID
        self.sink = sink
        self.stop = stop
        self.logger = logger
        self.dedup = DedupWindow(windowMillis: dedupMillis)
    }

    /// Scans from framer output, stamped now. Over-long lines are counted and logged by length
    /// only — their content may be personal.
    func scans(from outputs: [LineFramer.Output], maxLine: Int) -> [Scan] {
        let wall = Clocks.wallNanos()
        let mono = Clocks.monotonicNanos()
        var scans: [Scan] = []
        for o in outputs {
            switch o {
            case .line(let bytes):
                scans.append(Scan(readerID: readerID, bytes: bytes, wallNanos: wall, monotonicNanos: mono))
            case .overlong(let length):
                overlongDiscarded += 1
                GatewayMetrics.decodeFailure(reader: readerID, reason: "overlong")
                logger.warning(
                    "discarded a line longer than max_line",
                    metadata: [
                        "reader": "\(readerID)", "length": "\(length)", "max_line": "\(maxLine)",
                        "discarded_total": "\(overlongDiscarded)",
                    ]
                )
            }
        }
        return scans
    }

    /// A scan stamped now.
    func scan(_ bytes: [UInt8], symbology: String? = nil) -> Scan {
        Scan(
            readerID: readerID,
            bytes: bytes,
            wallNanos: Clocks.wallNanos(),
            monotonicNanos: Clocks.monotonicNanos(),
            symbology: symbology
        )
    }

    /// Logs a rejected frame or scan by kind and size only — never its content — and counts it
    /// in `gatewayd_decode_failures_total{reader, reason}`.
    func reject(_ what: String, reason: String, length: Int? = nil, total: Int) {
        GatewayMetrics.decodeFailure(reader: readerID, reason: reason)
        var meta: Logger.Metadata = ["reader": "\(readerID)", "total": "\(total)"]
        if let length { meta["length"] = "\(length)" }
        logger.warning("\(what)", metadata: meta)
    }

    /// Commits, retrying while the spool fails. - Returns: false if stopped before it succeeded.
    func commit(_ all: [Scan], mark: InputMark? = nil) -> Bool {
        let before = dedup.suppressed
        let scans = all.filter { dedup.admit($0.bytes, now: $0.monotonicNanos) }
        if dedup.suppressed != before {
            logger.debug(
                "repeat reads suppressed",
                metadata: [
                    "reader": "\(readerID)", "count": "\(dedup.suppressed - before)", "total": "\(dedup.suppressed)",
                ]
            )
        }
        guard !scans.isEmpty else {
            // All repeats: nothing to spool, but a peeking reader still consumes its input.
            return true
        }
        var failing = false
        while true {
            do {
                let seqs = try sink.commit(scans, mark: mark)
                scansCommitted += scans.count
                if failing {
                    logger.notice("spool writable again; reader resumed", metadata: ["reader": "\(readerID)"])
                    GatewayMetrics.spoolFull(false, reader: readerID)
                }
                logger.debug(
                    "scans spooled",
                    metadata: [
                        "reader": "\(readerID)", "count": "\(scans.count)", "first_seq": "\(seqs.first ?? 0)",
                    ]
                )
                return true
            } catch {
                if !failing {
                    logger.error(
                        "cannot spool scans; holding the reader until the spool is writable",
                        metadata: [
                            "reader": "\(readerID)", "error": "\(error)",
                        ]
                    )
                    failing = true
                    GatewayMetrics.spoolFull(true, reader: readerID)
                }
                if !pause(ms: 500, stop: stop) { return false }
            }
        }
    }
}
