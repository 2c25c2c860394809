import Logging
import ServiceLifecycle
import Synchronization

/// Sends the insurers' notifications: claims due rows of the outbox, posts each signed to its
/// insurer's webhook (`WebhookSignature`, an `Idempotency-Key`), and records what
/// `DeliveryRules` decides. Every server instance runs one; the outbox's claims keep them from
/// sending the same row at once, and a killed instance's claims come back after their lease.
/// Sends run concurrently (up to `maxInFlight`) with a per-request timeout, so a hanging insurer
/// holds one slot for at most the timeout, not the others' notifications.
public final class NotificationDispatcher: Service {
    /// Where an insurer's notifications go and the key they are signed with.
    public struct Target: Sendable, Equatable {
        public var url: String
        public var secret: [UInt8]

        public init(url: String, secret: [UInt8]) {
            self.url = url
            self.secret = secret
        }
    }

    private let outbox: any NotificationOutbox
    private let sender: any WebhookSender
    private let targets: [String: Target]
    private let rules: DeliveryRules
    private let clock: @Sendable () -> Int64
    private let jitter: @Sendable () -> Double
    private let logger: Logger
    private let pollInterval: Duration
    private let maxInFlight: Int
    private let inFlight = Mutex(0)

    /// - Parameters: `clock`: wall-clock nanoseconds (due times are compared across instances);
    ///   `jitter`: uniform in [0, 1); `pollInterval`: how often the outbox is asked for due rows
    ///   (another instance's rows, and retries, come due without a signal).
    public init(
        outbox: any NotificationOutbox,
        sender: any WebhookSender,
        targets: [String: Target],
        settings: WebhookSettings,
        clock: @escaping @Sendable () -> Int64,
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        logger: Logger,
        pollInterval: Duration = .milliseconds(500),
        maxInFlight: Int = 16
    ) {
        self.outbox = outbox
        self.sender = sender
        self.targets = targets
        rules = DeliveryRules(settings: settings)
        self.clock = clock
        self.jitter = jitter
        self.logger = logger
        self.pollInterval = pollInterval
        self.maxInFlight = maxInFlight
    }

    /// The targets of the insurers that have a webhook and a loaded key.
    public static func targets(_ policy: CasePolicy, credentials: InsurerCredentials) -> [String: Target] {
        var out: [String: Target] = [:]
        for i in policy.insurers {
            if let w = i.webhook, let key = credentials.signingKeys[i.id] {
                out[i.id] = Target(url: w.url, secret: key)
            }
        }
        return out
    }

    public func run() async {
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                for n in await claim(limit: maxInFlight - inFlight.withLock { $0 }) {
                    inFlight.withLock { $0 += 1 }
                    group.addTask {
                        await self.deliver(n)
                        self.inFlight.withLock { $0 -= 1 }
                    }
                }
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.pollInterval) }
            }
            // Sends under way finish (each within its timeout); their rows are settled.
        }
    }

    /// Claims and delivers what is due, waiting for every send: one round of `run`, for tests.
    /// - Returns: how many were claimed.
    @discardableResult
    public func runOnce(limit: Int = 100) async -> Int {
        let claimed = await claim(limit: limit)
        await withDiscardingTaskGroup { group in
            for n in claimed { group.addTask { await self.deliver(n) } }
        }
        return claimed.count
    }

    private func claim(limit: Int) async -> [ClaimedNotification] {
        guard limit > 0 else { return [] }
        do {
            return try await outbox.claimDue(
                nowNanos: clock(),
                limit: limit,
                leaseNanos: DeliveryRules.nanos(rules.settings.lease)
            )
        } catch {
            logger.error("notification outbox unreadable", metadata: ["error": "\(error)"])
            return []
        }
    }

    /// One attempt at one claimed notification, and its record.
    func deliver(_ n: ClaimedNotification) async {
        let outcome: WebhookOutcome
        if let target = targets[n.insurer] {
            let t = clock() / 1_000_000_000
            outcome = await sender.post(
                url: target.url,
                body: n.body,
                headers: [
                    ("Idempotency-Key", n.key),
                    (
                        WebhookSignature.headerName,
                        WebhookSignature.header(secret: target.secret, unixSeconds: t, body: n.body)
                    ),
                ],
                timeout: rules.settings.timeout
            )
        } else {
            outcome = .notConfigured(
                "insurer \(n.insurer) has no webhook_url and secret_file in the policy the server runs with; add them, restart, and run case-server notifications retry"
            )
        }
        let now = clock()
        let action = rules.next(after: outcome, attempt: n.attempt, nowNanos: now, unit: jitter())
        var meta: Logger.Metadata = ["case": "\(n.ref)", "insurer": "\(n.insurer)", "attempt": "\(n.attempt)"]
        do {
            switch action {
            case .delivered:
                try await outbox.markDelivered(n, nowNanos: now)
                logger.info("insurer notified", metadata: meta)
            case .retry(let due, let reason):
                try await outbox.reschedule(n, dueAtNanos: due, reason: reason)
                meta["reason"] = "\(reason)"
                meta["retry_in_ms"] = "\((due - now) / 1_000_000)"
                logger.notice("insurer notification deferred", metadata: meta)
            case .fail(let reason):
                try await outbox.markFailed(n, reason: reason, nowNanos: now)
                meta["reason"] = "\(reason)"
                logger.error("insurer notification failed", metadata: meta)
            }
        } catch {
            // The claim lapses and the row comes due again: the attempt is repeated.
            meta["error"] = "\(error)"
            logger.error("insurer notification not recorded", metadata: meta)
        }
    }
}
