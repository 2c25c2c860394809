/// When the forwarder rewrites its status file (`forwarder.json` in the runtime directory).
///
/// Why: the file was rewritten after every batch — a JSON encoding, a write and a rename —
/// which took 9 % of gatewayd's CPU at 100 scans/s (docs/performance.md), for readers (`--probe`,
/// `spool status`, the kiosk page, systemd's STATUS=) that look at it now and then. What those
/// readers act on is the circuit: a change of the circuit, of the failure count, of the last
/// error or of when the next attempt is due is written at once. Counters and timestamps alone
/// are written at most once per `interval`, and whatever is still unwritten when the forwarder
/// goes idle (the spool found empty, or the daemon stopping) is written then, so the file is
/// never behind for longer than a busy second.
public struct StatusWriteThrottle: Sendable {
    public let intervalNanos: UInt64
    private var written: ForwarderStatus?
    private var writtenAtNanos: UInt64 = 0

    public init(intervalNanos: UInt64 = 1_000_000_000) {
        self.intervalNanos = intervalNanos
    }

    /// Whether `status` is to be written now; when true it counts as written.
    /// - Parameter idle: the forwarder is about to wait (nothing to send) or stop.
    public mutating func shouldWrite(_ status: ForwarderStatus, nowNanos: UInt64, idle: Bool) -> Bool {
        if let w = written {
            if w == status { return false }
            let stateChanged = w.circuit != status.circuit || w.consecutiveFailures != status.consecutiveFailures
                || w.lastError != status.lastError || w.nextAttemptAt != status.nextAttemptAt
            guard stateChanged || idle || nowNanos >= writtenAtNanos &+ intervalNanos else { return false }
        }
        written = status
        writtenAtNanos = nowNanos
        return true
    }
}
