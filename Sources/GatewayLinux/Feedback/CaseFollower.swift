import GatewayCore
import GatewaySystem
import Logging
import ServiceLifecycle

/// Follows the cases the kiosk page shows: `GET /v1/cases/{ref}` on `CaseFollowPolicy`'s
/// schedule (soon after a case opens, less often while nothing changes), through the
/// forwarder's deliverer (same server, TLS, pins and timeouts). Only while a page is open and a
/// shown case is not final: a terminal nobody looks at asks nothing.
public struct CaseFollower: Service {
    let hub: FeedbackHub
    let deliverer: @Sendable () -> HTTPDeliverer
    let logger: Logger

    public init(hub: FeedbackHub, deliverer: @escaping @Sendable () -> HTTPDeliverer, logger: Logger) {
        self.hub = hub
        self.deliverer = deliverer
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var failing: Set<String> = []
            while !Task.isCancelled {
                // Subscribed before looking, so a change while fetching is not missed.
                let changes = hub.changes()
                var wait: Duration? = nil
                if hub.viewers > 0 {
                    let now = Clocks.monotonicNanos()
                    let (due, next) = hub.casesDue(nowNanos: now)
                    for ref in due {
                        switch await deliverer().fetchCase(ref: ref) {
                        case .success(let status):
                            hub.looked(status, nowNanos: Clocks.monotonicNanos())
                            if failing.remove(ref) != nil {
                                logger.info("case follow-up works again", metadata: ["case": "\(ref)"])
                            }
                        case .failure(let e):
                            hub.lookFailed(ref: ref, nowNanos: Clocks.monotonicNanos())
                            if failing.insert(ref).inserted {
                                logger.warning(
                                    "cannot look at a shown case; trying less often",
                                    metadata: ["case": "\(ref)", "error": "\(e)"]
                                )
                            }
                        }
                    }
                    if !due.isEmpty { continue }
                    wait = next.map { .nanoseconds(Int64(min($0 - min($0, now), 3_600_000_000_000))) }
                }
                await Self.firstOf(wait, changes)
            }
        }
    }

    /// Returns after `wait` (nil: no limit) or at the next change, whichever comes first.
    static func firstOf(_ wait: Duration?, _ changes: AsyncStream<Void>) async {
        await withTaskGroup(of: Void.self) { group in
            if let wait { group.addTask { try? await Task.sleep(for: wait) } }
            group.addTask { for await _ in changes { return } }
            await group.next()
            group.cancelAll()
        }
    }
}
