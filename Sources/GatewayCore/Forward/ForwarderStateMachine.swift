/// The forwarder's decisions as a pure state machine (in the manner of async-http-client's
/// connection state machines): the I/O loop tells it what happened, it answers with what to do.
///
/// Rules of wire format v1:
/// - `accepted` and `duplicate` leave the spool (duplicate means an earlier attempt got through).
/// - `rejected` is permanent for that envelope: it moves to dead letters with the reason,
///   kept for a technician, never silently deleted.
/// - An envelope the server did not mention stays and is sent again.
/// - Anything but a 200 is a failure of the whole batch: nothing leaves, the next try waits
///   per `Backoff`, at least as long as a Retry-After says.
public struct ForwarderStateMachine: Sendable {
    public enum Circuit: String, Sendable, Equatable {
        /// Deliveries succeed.
        case closed
        /// The last attempt failed; waiting before the next.
        case open
    }

    public struct Plan: Sendable, Equatable {
        public var remove: [String] = []
        public var deadLetter: [(id: String, reason: String)] = []
        /// Wait this long before the next attempt; nil means go on at once.
        public var wait: Duration?
        /// For the log line: why this batch failed, if it did.
        public var failure: String?

        public static func == (a: Plan, b: Plan) -> Bool {
            a.remove == b.remove && a.wait == b.wait && a.failure == b.failure
                && a.deadLetter.map(\.id) == b.deadLetter.map(\.id)
                && a.deadLetter.map(\.reason) == b.deadLetter.map(\.reason)
        }
    }

    public let backoff: Backoff
    public private(set) var consecutiveFailures = 0
    public private(set) var circuit: Circuit = .closed

    public init(backoff: Backoff) {
        self.backoff = backoff
    }

    /// - Parameters:
    ///   - batch: ids of the envelopes that were sent, in order.
    ///   - unit: uniform random in [0, 1) for the jitter.
    public mutating func completed(batch: [String], outcome: DeliveryOutcome, unit: Double) -> Plan {
        var plan = Plan()
        switch outcome {
        case .results(let answer):
            let sent = Set(batch)
            var seen = Set<String>()
            for r in answer.results where sent.contains(r.id) && seen.insert(r.id).inserted {
                switch r.status {
                case .accepted, .duplicate: plan.remove.append(r.id)
                case .rejected: plan.deadLetter.append((r.id, r.reason ?? "rejected without a reason"))
                }
            }
            if seen.count == sent.count {
                succeed()
            } else {
                // The server skipped some: resend them, but not in a tight loop.
                plan.failure = "server answered for \(seen.count) of \(sent.count) envelopes"
                plan.wait = fail(retryAfter: nil, unit: unit)
            }
        case .httpStatus(let status, let retryAfter):
            plan.failure = "HTTP \(status)"
            plan.wait = fail(retryAfter: retryAfter, unit: unit)
        case .transportFailure(let reason):
            plan.failure = reason
            plan.wait = fail(retryAfter: nil, unit: unit)
        }
        return plan
    }

    private mutating func succeed() {
        consecutiveFailures = 0
        circuit = .closed
    }

    private mutating func fail(retryAfter: Duration?, unit: Double) -> Duration {
        let wait = backoff.delay(attempt: consecutiveFailures, retryAfter: retryAfter, unit: unit)
        consecutiveFailures += 1
        circuit = .open
        return wait
    }
}
