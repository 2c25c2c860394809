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
/// - Except 413 (the batch is larger than the server takes): the batch is sent again at once,
///   smaller: at most half as many envelopes, and within the limits the answer names
///   (`max_envelopes`, `max_bytes` of the case server's JSON error), which hold from then on.
///   A lone envelope refused so stays in the spool and is retried with backoff: an operator
///   can raise the server's limit, a dead letter would lose the scan.
/// - And except a client error about the content (400, 422): the server refuses the request
///   itself, and sending the same batch again would fail forever behind one bad envelope. The
///   forwarder then sends that batch's envelopes one at a time (`batchLimit` is 1 until they
///   are through); one that alone still gets a 4xx becomes a dead letter with the status and
///   the server's words as reason, and the rest flow on. Other 4xx (401, 403, 404: a wrong
///   URL or credentials) are about the terminal's set-up, not an envelope: retried with
///   backoff like a 5xx, never dead-lettered.
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
    /// Envelopes still to be sent one by one to find the one a 4xx is about, by id: only
    /// their own answers end the isolation (another batch answered meanwhile — two are in
    /// flight while deliveries succeed — says nothing about them).
    public private(set) var isolating: Set<String> = []

    /// The smaller batch limits 413 answers asked for; nil where none did.
    public private(set) var serverMaxEnvelopes: Int?
    public private(set) var serverMaxBytes: Int?

    /// Statuses that blame the request's content, not the link or the set-up (413, too
    /// large, has its own rule).
    public static let contentErrors: Set<Int> = [400, 422]

    /// The most envelopes an attempt may carry while the circuit is open. That attempt is the
    /// half-open circuit's trial: it only has to show whether the server answers again. A full
    /// batch would be read from the spool, copied into a request body and, past a timeout on a
    /// slow link, uploaded in vain on every retry of an outage, for as long as it lasts. An
    /// answer for every envelope of the trial closes the circuit, and full batches follow.
    public static let trialBatch = 10

    /// How many envelopes the next batch may hold: one while a refused batch is taken apart,
    /// `trialBatch` while the circuit is open, else the configured `batch_max`.
    /// A 413's limit, if one is smaller, caps it.
    public func batchLimit(_ configured: Int) -> Int {
        if !isolating.isEmpty { return 1 }
        let limit = min(configured, serverMaxEnvelopes ?? configured)
        return circuit == .open ? min(limit, Self.trialBatch) : limit
    }

    /// How many bytes the next request's body may hold: the configured `batch_max_kb`, or the
    /// smaller `max_bytes` a 413 named.
    public func byteLimit(_ configured: Int) -> Int {
        min(configured, serverMaxBytes ?? configured)
    }

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
                isolating.subtract(batch)
            } else {
                // The server skipped some: resend them, but not in a tight loop.
                plan.failure = "server answered for \(seen.count) of \(sent.count) envelopes"
                plan.wait = fail(retryAfter: nil, unit: unit)
            }
        case .httpStatus(413, let retryAfter, let detail):
            let named = BatchLimitsAnswer(detail)
            if let bytes = named.maxBytes { serverMaxBytes = min(serverMaxBytes ?? Int.max, max(1, bytes)) }
            if batch.count > 1 {
                // Halving guarantees progress when the answer names nothing (a proxy's 413) or
                // names limits this batch already kept (its bytes were counted differently).
                let count = min(named.maxEnvelopes ?? Int.max, batch.count / 2)
                serverMaxEnvelopes = min(serverMaxEnvelopes ?? Int.max, max(1, count))
                plan.failure =
                    "HTTP 413 for a batch of \(batch.count): sending at most \(serverMaxEnvelopes!) envelopes"
                    + (serverMaxBytes.map { " and \($0) bytes" } ?? "") + " per request from now on"
            } else {
                isolating.subtract(batch)
                plan.failure =
                    "HTTP 413 for a single envelope: kept in the spool and retried; raise the server's batch limit"
                plan.wait = fail(retryAfter: retryAfter, unit: unit)
            }
        case .httpStatus(let status, _, let detail) where Self.contentErrors.contains(status):
            if batch.count > 1 {
                isolating.formUnion(batch)
                plan.failure =
                    "HTTP \(status) for a batch of \(batch.count): sending them one at a time to find the one it is about"
            } else if let id = batch.first {
                let words = detail.map { ": " + String($0.prefix(200)) } ?? ""
                plan.deadLetter.append((id, "http_\(status)\(words)"))
                isolating.remove(id)
                succeed()
            }
            return plan
        case .httpStatus(let status, let retryAfter, _):
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
