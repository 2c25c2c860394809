import GatewayCore
import GatewaySystem
import Logging

/// The part every reader shares after framing: turns framed lines into scans, commits them,
/// and holds the reader back (never drops) while the spool cannot take them.
///
/// It also watches the reader (`FloodMonitor`): where the framing expects text, a line that
/// cannot be a label (`TextNoise`) is noise, delivered with the noise of the same second as one
/// `noise` misread that carries the count; a flood is one warning in the log, the
/// `gatewayd_reader_flooding` gauge, and the reader's health (`ReaderHealthBoard`) that the
/// kiosk page, heartbeats and `--probe` show. Readers wait for input no longer than
/// `pollTimeoutMs`, then `tick()`, so that pending noise is delivered and a flood's end noticed
/// when the input stops. Pending noise lives in memory: a kill -9 loses at most a second's
/// count of it (never a genuine scan, which is committed before its bytes are consumed).
final class ScanCommitter {
    /// Group commit: a line reader's burst is spooled up to this many scans per transaction
    /// (one fsync; it cuts what it peeked after this many lines); other readers commit what one
    /// read returned, which `Spool.append` works through in slices. A single scan commits at
    /// once, never waiting for company. 256 rather than 1,024: the
    /// larger group took no more scans a second and left a burst's terminal over the memory it
    /// is allowed (docs/performance.md).
    static let maxScansPerCommit = 256

    let readerID: String
    let sink: CaptureSink
    private let stop: StopSignal
    let logger: Logger
    private(set) var scansCommitted = 0
    /// The misreads among the scans the last `commit` stored (none when it stored nothing).
    private(set) var lastMisreads: [Misread] = []
    private(set) var overlongDiscarded = 0
    private(set) var noiseLines = 0
    private var dedup: DedupWindow
    /// Whether a line that cannot be text is noise (`GatewayConfig.Reader.framesText`).
    private let framesText: Bool
    private var monitor: FloodMonitor
    private let health: ReaderHealthBoard

    init(
        readerID: String,
        sink: CaptureSink,
        stop: StopSignal,
        logger: Logger,
        dedupMillis: Int = 0,
        framesText: Bool = false,
        flood: FloodMonitor.Settings = .init(
            rate: GatewayConfig.Reader.defaultFloodRate,
            seconds: GatewayConfig.Reader.defaultFloodSeconds
        ),
        health: ReaderHealthBoard = ReaderHealthBoard()
    ) {
        self.readerID = readerID
        self.sink = sink
        self.stop = stop
        self.logger = logger
        self.dedup = DedupWindow(windowMillis: dedupMillis)
        self.framesText = framesText
        self.monitor = FloodMonitor(settings: flood)
        self.health = health
    }

    /// A committer for `reader`, with its dedup window, noise check and flood settings.
    convenience init(
        reader: GatewayConfig.Reader,
        sink: CaptureSink,
        stop: StopSignal,
        logger: Logger,
        health: ReaderHealthBoard
    ) {
        self.init(
            readerID: reader.id,
            sink: sink,
            stop: stop,
            logger: logger,
            dedupMillis: reader.dedupMillis,
            framesText: reader.framesText,
            flood: reader.flood,
            health: health
        )
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

    /// How long the reader may wait for input before `tick()` is due; -1: indefinitely.
    var pollTimeoutMs: Int32 {
        guard let due = monitor.deadlineNanos else { return -1 }
        let now = Clocks.monotonicNanos()
        return due <= now ? 0 : Int32(min((due - now + 999_999) / 1_000_000, 60_000))
    }

    /// Delivers what fell due without input (pending noise, a flood's end).
    /// - Returns: false if stopped before it was committed.
    func tick() -> Bool { commit([]) }

    /// The reader stops: pending noise is delivered (while the spool takes it before a stop)
    /// and a flood under way ends.
    func finish() {
        let scans = carryOut(monitor.finish(monotonicNanos: Clocks.monotonicNanos()))
        if !scans.isEmpty { _ = spool(scans, mark: nil) }
    }

    /// Commits, retrying while the spool fails; noise goes to the flood monitor, which hands
    /// it back coalesced. - Returns: false if stopped before it succeeded.
    func commit(_ all: [Scan], mark: InputMark? = nil) -> Bool {
        lastMisreads = []
        var watched: [Scan] = []
        watched.reserveCapacity(all.count)
        for scan in all {
            if framesText && scan.readFailure == nil && TextNoise.isNoise(scan.bytes) {
                watched += carryOut(
                    monitor.noise(
                        bytes: scan.bytes.count,
                        monotonicNanos: scan.monotonicNanos,
                        wallNanos: scan.wallNanos
                    )
                )
            } else {
                watched += carryOut(monitor.scan(monotonicNanos: scan.monotonicNanos))
                watched.append(scan)
            }
        }
        watched += carryOut(monitor.tick(monotonicNanos: Clocks.monotonicNanos()))
        let before = dedup.suppressed
        // A noise event stands for many lines; it is never a repeat of the one before.
        let scans = watched.filter {
            $0.readFailure?.format == FloodMonitor.Noise.format || dedup.admit($0.bytes, now: $0.monotonicNanos)
        }
        if dedup.suppressed != before {
            logger.debug(
                "repeat reads suppressed",
                metadata: [
                    "reader": "\(readerID)", "count": "\(dedup.suppressed - before)", "total": "\(dedup.suppressed)",
                ]
            )
        }
        guard !scans.isEmpty else {
            // All repeats or noise still pending: nothing to spool, but a peeking reader still
            // consumes its input.
            return true
        }
        return spool(scans, mark: mark)
    }

    private func spool(_ scans: [Scan], mark: InputMark?) -> Bool {
        var failing: CommitError?
        while true {
            do {
                let committed = try sink.commit(scans, mark: mark)
                lastMisreads = committed.misreads
                scansCommitted += scans.count
                if let cause = failing {
                    if case .sealing = cause {
                        logger.notice("scans sealed again; reader resumed", metadata: ["reader": "\(readerID)"])
                    } else {
                        logger.notice("spool writable again; reader resumed", metadata: ["reader": "\(readerID)"])
                    }
                    GatewayMetrics.spoolFull(false, reader: readerID)
                }
                logger.debug(
                    "scans spooled",
                    metadata: [
                        "reader": "\(readerID)", "count": "\(scans.count)", "first_seq": "\(committed.seqs.first ?? 0)",
                    ]
                )
                return true
            } catch {
                if failing == nil {
                    switch error {
                    case .spool:
                        logger.error(
                            "cannot spool scans; holding the reader until the spool is writable",
                            metadata: ["reader": "\(readerID)", "error": "\(error)"]
                        )
                    case .sealing:
                        logger.error(
                            "cannot seal scans; holding the reader until they can be sealed",
                            metadata: ["reader": "\(readerID)", "error": "\(error)"]
                        )
                    }
                    failing = error
                    GatewayMetrics.spoolFull(true, reader: readerID)
                }
                if !pause(ms: 500, stop: stop) { return false }
            }
        }
    }
}

extension ScanCommitter {
    /// Does what the flood monitor said; returns the noise events to commit, in order.
    private func carryOut(_ actions: [FloodMonitor.Action]) -> [Scan] {
        var events: [Scan] = []
        for action in actions {
            switch action {
            case .noise(let n):
                noiseLines += n.lines
                GatewayMetrics.readerNoise(reader: readerID, lines: n.lines)
                health.noise(reader: readerID, lines: n.lines, wallNanos: n.firstWallNanos)
                // Counts only: the noise itself may hold fragments of personal data.
                logger.log(
                    level: noiseLines == n.lines ? .notice : .debug,
                    "reader noise delivered as one misread",
                    metadata: [
                        "reader": "\(readerID)", "lines": "\(n.lines)", "bytes": "\(n.bytes)",
                        "noise_total": "\(noiseLines)",
                    ]
                )
                events.append(
                    Scan(
                        readerID: readerID,
                        bytes: [],
                        wallNanos: n.firstWallNanos,
                        monotonicNanos: n.firstMonotonicNanos,
                        readFailure: n.misread
                    )
                )
            case .floodStarted(let e):
                let flood = describe(e)
                health.floodStarted(reader: readerID, flood)
                GatewayMetrics.readerFloodStarted(reader: readerID)
                GatewayMetrics.readerFlooding(true, reader: readerID)
                logger.warning(
                    "reader floods: more scans a second than flood_rate; check the reader, its cable and its settings",
                    metadata: [
                        "reader": "\(readerID)", "rate": "\(e.lastRate)", "peak_rate": "\(e.peakRate)",
                        "flood_rate": "\(monitor.settings.rate)", "flood_seconds": "\(monitor.settings.seconds)",
                        "noise_lines": "\(e.noiseLines)", "since": "\(flood.startedAt)",
                    ]
                )
            case .floodEnded(let e):
                let flood = describe(e)
                health.floodEnded(reader: readerID, flood)
                GatewayMetrics.readerFlooding(health.health(readerID)?.flooding ?? false, reader: readerID)
                logger.notice(
                    "reader flood over",
                    metadata: [
                        "reader": "\(readerID)", "scans": "\(e.scans)", "noise_lines": "\(e.noiseLines)",
                        "peak_rate": "\(e.peakRate)", "from": "\(flood.startedAt)", "to": "\(flood.endedAt ?? "-")",
                    ]
                )
            }
        }
        return events
    }

    /// An episode with wall-clock times, for people.
    private func describe(_ e: FloodMonitor.Episode) -> ReaderHealth.Flood {
        let (wallNow, monoNow) = (Clocks.wallNanos(), Clocks.monotonicNanos())
        func wall(_ mono: UInt64) -> String {
            RFC3339.format(unixNanos: wallNow - Int64(clamping: monoNow &- min(mono, monoNow)))
        }
        return ReaderHealth.Flood(
            startedAt: wall(e.startMonotonicNanos),
            endedAt: e.endMonotonicNanos.map(wall),
            peakRate: e.peakRate,
            lastRate: e.lastRate,
            scans: e.scans,
            noiseLines: e.noiseLines
        )
    }
}
