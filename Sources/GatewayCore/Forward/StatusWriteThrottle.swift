/// When the forwarder rewrites its status file (`forwarder.json` in the runtime directory).
///
/// Why: rewriting the file after every batch — a JSON encoding, a write and a rename — costs a
/// noticeable share of the daemon's CPU under steady traffic (docs/performance.md), for readers
/// in other processes (`--probe`, `spool status`) that look at it now and then. What those
/// readers act on is the circuit: a change of the circuit, of the failure count, of the last
/// error or of when the next attempt is due is written at once. Counters and timestamps alone
/// are written at most once per `interval`; what is left unwritten is due `interval` after the
/// last write (`dueNanos`), and the forwarder, when it goes idle, writes it then (it sets a
/// wake-up for that moment), so the file is never more than an interval behind. At 100 scans
/// a second the forwarder goes idle after nearly every batch, which is why going idle cannot
/// itself be the moment to write.
public struct StatusWriteThrottle: Sendable {
    public let intervalNanos: UInt64
    private var written: ForwarderStatus?
    private var writtenAtNanos: UInt64 = 0
    private var latest: ForwarderStatus?

    public init(intervalNanos: UInt64 = 1_000_000_000) {
        self.intervalNanos = intervalNanos
    }

    /// A new status. - Returns: true when it is to be written now (it then counts as written).
    public mutating func offer(_ status: ForwarderStatus, nowNanos: UInt64) -> Bool {
        latest = status
        if let w = written {
            if w == status { return false }
            let stateChanged =
                w.circuit != status.circuit || w.consecutiveFailures != status.consecutiveFailures
                || w.lastError != status.lastError || w.nextAttemptAt != status.nextAttemptAt
            guard stateChanged || nowNanos >= writtenAtNanos &+ intervalNanos else { return false }
        }
        take(nowNanos)
        return true
    }

    /// When the status offered last, if unwritten, is to be written; nil when the file is current.
    public var dueNanos: UInt64? {
        guard let latest, latest != written else { return nil }
        return writtenAtNanos &+ intervalNanos
    }

    /// The unwritten status when it is due (or `force`, on stopping); it then counts as written.
    public mutating func flush(nowNanos: UInt64, force: Bool = false) -> ForwarderStatus? {
        guard let due = dueNanos, force || nowNanos >= due else { return nil }
        take(nowNanos)
        return written
    }

    private mutating func take(_ nowNanos: UInt64) {
        written = latest
        writtenAtNanos = nowNanos
    }
}
