/// What the forwarder is doing, for people: `gatewayd spool status`, `--probe` and metrics read
/// it. Written by the daemon to its runtime directory (`forwarder.json`): at once when the
/// circuit changes, else at most once a second, what is left a second after the last write
/// (`StatusWriteThrottle`).
/// Holds no envelope content, only counts, times and the last failure's reason.
public struct ForwarderStatus: Codable, Sendable, Equatable {
    /// `closed`: deliveries succeed; `open`: the last attempt failed and the forwarder waits.
    public var circuit: String
    public var consecutiveFailures: Int
    public var lastError: String?
    public var lastAttemptAt: String?
    public var lastSuccessAt: String?
    /// When the next attempt is due (terminal clock), while the circuit is open.
    public var nextAttemptAt: String?
    public var deliveredTotal: Int
    public var deadLetteredTotal: Int
    public var failuresTotal: Int

    enum CodingKeys: String, CodingKey {
        case circuit
        case consecutiveFailures = "consecutive_failures"
        case lastError = "last_error"
        case lastAttemptAt = "last_attempt_at"
        case lastSuccessAt = "last_success_at"
        case nextAttemptAt = "next_attempt_at"
        case deliveredTotal = "delivered_total"
        case deadLetteredTotal = "dead_lettered_total"
        case failuresTotal = "failures_total"
    }

    public init() {
        circuit = ForwarderStateMachine.Circuit.closed.rawValue
        consecutiveFailures = 0
        deliveredTotal = 0
        deadLetteredTotal = 0
        failuresTotal = 0
    }

    /// Folds one attempt's plan into the status.
    public mutating func record(_ plan: ForwarderStateMachine.Plan, machine: ForwarderStateMachine, nowNanos: Int64) {
        let now = RFC3339.format(unixNanos: nowNanos)
        lastAttemptAt = now
        circuit = machine.circuit.rawValue
        consecutiveFailures = machine.consecutiveFailures
        deliveredTotal += plan.remove.count
        deadLetteredTotal += plan.deadLetter.count
        if let failure = plan.failure {
            failuresTotal += 1
            lastError = failure
        } else {
            lastSuccessAt = now
        }
        nextAttemptAt = plan.wait.map { w in
            let (s, atto) = w.components
            return RFC3339.format(unixNanos: nowNanos + s * 1_000_000_000 + atto / 1_000_000_000)
        }
    }
}
