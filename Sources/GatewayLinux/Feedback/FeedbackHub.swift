import Foundation
import GatewayCore
import GatewaySystem
import NIOConcurrencyHelpers

/// Where the capture path, the forwarder and the case follower report what happened to recent
/// scans (`RecentScans`, in memory only: a restart forgets them, and a stolen terminal holds no
/// list of what was scanned), and where the kiosk page gets its state and its wake-ups.
public final class FeedbackHub: Sendable {
    /// What the page shows besides the scans, read when a state is built.
    public struct Live: Sendable {
        public var device: String
        public var readers: @Sendable () -> [String]
        public var spool: @Sendable () -> KioskState.SpoolView
        public var operatorView: @Sendable () -> KioskState.OperatorView
        /// As redaction would leave it.
        public var location: @Sendable () -> Location?

        public init(device: String, readers: @escaping @Sendable () -> [String], spool: @escaping @Sendable () -> KioskState.SpoolView,
                    operatorView: @escaping @Sendable () -> KioskState.OperatorView, location: @escaping @Sendable () -> Location?) {
            self.device = device
            self.readers = readers
            self.spool = spool
            self.operatorView = operatorView
            self.location = location
        }
    }

    private struct State {
        var recent: RecentScans
        var subscribers: [UInt64: AsyncStream<Void>.Continuation] = [:]
        var nextID: UInt64 = 0
        var viewers = 0
        /// The newest operator pseudonym seen in a sealed event (a sign-in badge's subject, or a
        /// scan's operator): who the page says is signed in.
        var operatorPseudonym: String?
    }

    private let state: NIOLockedValueBox<State>
    public let live: Live

    public init(recent: Int, followCap: Duration, live: Live) {
        state = NIOLockedValueBox(State(recent: RecentScans(capacity: recent, followCap: followCap)))
        self.live = live
    }

    // MARK: reports

    public func spooled(_ records: [ScanRecord]) {
        guard !records.isEmpty else { return }
        change { s in
            s.recent.spooled(records)
            for r in records.sorted(by: { $0.seq < $1.seq }) {
                if r.kind == .operatorBadge, let id = r.subject { s.operatorPseudonym = id }
                if let id = r.operatorID { s.operatorPseudonym = id }
            }
        }
    }

    public func sent(ids: [String]) { change { $0.recent.sent(ids: ids) } }

    /// What came of a batch: the server's answers, dead letters the forwarder made, or a failure.
    public func delivered(ids: [String], outcome: DeliveryOutcome, deadLetters: [(id: String, reason: String)], failure: String?, nowNanos: UInt64) {
        change { s in
            var unanswered = Set(ids)
            if case .results(let r) = outcome {
                s.recent.answered(r.results, nowNanos: nowNanos)
                unanswered.subtract(r.results.map(\.id))
            }
            s.recent.deadLettered(deadLetters)
            unanswered.subtract(deadLetters.map(\.id))
            // Still in the spool: they go again.
            if !unanswered.isEmpty { s.recent.failed(ids: Array(unanswered), reason: failure ?? "no answer for it; it goes again") }
        }
    }

    public func looked(_ status: CaseStatus, nowNanos: UInt64) {
        let changed = state.withLockedValue { $0.recent.looked(status, nowNanos: nowNanos) }
        if changed { notify() }
    }

    public func lookFailed(ref: String, nowNanos: UInt64) {
        state.withLockedValue { $0.recent.lookFailed(ref: ref, nowNanos: nowNanos) }
    }

    // MARK: the page

    public func snapshot(nowWallNanos: Int64 = Clocks.wallNanos()) -> KioskState {
        let (recent, pseudonym) = state.withLockedValue { ($0.recent, $0.operatorPseudonym) }
        var op = live.operatorView()
        if op.signedIn { op.id = pseudonym }
        return KioskState(device: live.device, version: GatewayVersion.string, now: RFC3339.format(unixNanos: nowWallNanos),
                          scans: recent.scans, cases: KioskState.cases(of: recent), operator: op, location: live.location(),
                          readers: live.readers(), spool: live.spool())
    }

    /// The cases due for a look, and when the next one is due.
    public func casesDue(nowNanos: UInt64) -> (due: [String], next: UInt64?) {
        state.withLockedValue { ($0.recent.casesDue(nowNanos: nowNanos), $0.recent.nextLookNanos) }
    }

    /// Yields once for every change (coalesced: a slow reader gets the latest only).
    public func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLockedValue { s -> UInt64 in
            s.nextID += 1
            s.subscribers[s.nextID] = continuation
            return s.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLockedValue { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Pages open now: cases are followed only while someone can see them.
    public var viewers: Int { state.withLockedValue { $0.viewers } }

    public func viewerJoined() {
        state.withLockedValue { $0.viewers += 1 }
        notify()
    }

    public func viewerLeft() {
        state.withLockedValue { $0.viewers = max(0, $0.viewers - 1) }
    }

    private func change(_ body: (inout State) -> Void) {
        state.withLockedValue { body(&$0) }
        notify()
    }

    public func notify() {
        let subs = state.withLockedValue { Array($0.subscribers.values) }
        for s in subs { s.yield() }
    }
}
