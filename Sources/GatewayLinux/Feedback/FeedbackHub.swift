import Foundation
import GatewayCore
import GatewaySystem
import Synchronization

/// Where the capture path, the forwarder and the case follower report what happened to recent
/// scans (`RecentScans`, in memory only: a restart forgets them, and a stolen terminal holds no
/// list of what was scanned), and where the kiosk page gets its state and its wake-ups.
public final class FeedbackHub: Sendable {
    /// What the page shows besides the scans and the spool, read from memory when a state is
    /// built (nothing here may touch a disk or a database: the kiosk builds states on its event
    /// loop).
    public struct Live: Sendable {
        public var device: String
        public var readers: @Sendable () -> [String]
        public var operatorView: @Sendable () -> KioskState.OperatorView
        /// As redaction would leave it.
        public var location: @Sendable () -> Location?

        public init(
            device: String,
            readers: @escaping @Sendable () -> [String],
            operatorView: @escaping @Sendable () -> KioskState.OperatorView,
            location: @escaping @Sendable () -> Location?
        ) {
            self.device = device
            self.readers = readers
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
        /// The spool and the forwarder as the forwarder last posted them, with the scans
        /// committed since added to the depth.
        var spool = KioskState.SpoolView(depth: 0, deadLetters: 0, circuit: "starting")
        /// Replies given on this terminal, by message id (in memory, like the scans).
        var replies: [String: KioskState.ReplyView] = [:]
        var replyOrder: [String] = []
    }

    private let state: Mutex<State>
    public let live: Live

    public init(recent: Int, followCap: Duration, live: Live) {
        state = Mutex(State(recent: RecentScans(capacity: recent, followCap: followCap)))
        self.live = live
    }

    // MARK: reports

    public func spooled(_ records: [ScanRecord]) {
        guard !records.isEmpty else { return }
        change { s in
            s.recent.spooled(records)
            s.spool.depth += records.count
            for r in records.filter({ $0.kind == .operatorBadge || $0.operatorID != nil }).sorted(by: {
                $0.seq < $1.seq
            }) {
                if r.kind == .operatorBadge, let id = r.subject { s.operatorPseudonym = id }
                if let id = r.operatorID { s.operatorPseudonym = id }
            }
        }
    }

    /// A reply to a case message was spooled (as sealed): the page shows the message answered.
    public func replied(_ reply: KioskState.ReplyView) {
        change { s in
            if s.replies.updateValue(reply, forKey: reply.message) == nil { s.replyOrder.append(reply.message) }
            // A terminal that runs for months answers many questions: the oldest are forgotten.
            if s.replyOrder.count > Self.maxReplies {
                s.replies.removeValue(forKey: s.replyOrder.removeFirst())
            }
            s.spool.depth += 1
        }
    }

    /// The replies kept for the page.
    public static let maxReplies = 200

    /// The message a reply would answer, if a followed case lists it.
    public func message(_ id: String, ref: String) -> CaseMessage? {
        state.withLock { s in s.recent.cases[ref]?.status?.messages?.first { $0.id == id } }
    }

    /// Whether the person answered the message here already.
    public func hasReplied(_ id: String) -> Bool {
        state.withLock { $0.replies[id] != nil }
    }

    public func sent(ids: [String]) { change { $0.recent.sent(ids: ids) } }

    /// What came of a batch: the server's answers, dead letters the forwarder made, or a failure.
    public func delivered(
        ids: [String],
        outcome: DeliveryOutcome,
        deadLetters: [(id: String, reason: String)],
        failure: String?,
        nowNanos: UInt64
    ) {
        change { s in
            var unanswered = Set(ids)
            if case .results(let r) = outcome {
                s.recent.answered(r.results, nowNanos: nowNanos)
                unanswered.subtract(r.results.map(\.id))
            }
            s.recent.deadLettered(deadLetters)
            unanswered.subtract(deadLetters.map(\.id))
            // Still in the spool: they go again.
            if !unanswered.isEmpty {
                s.recent.failed(ids: Array(unanswered), reason: failure ?? "no answer for it; it goes again")
            }
        }
    }

    /// The forwarder's circuit, posted after every answer. The depth stays as it is: the
    /// answer's settle, which posts it, has not landed yet.
    public func forwarder(circuit: String) {
        updateSpool { $0.circuit = circuit }
    }

    /// The spool as the forwarder last read it (after a settle, or when idle); the scans
    /// committed after that read are added as they are spooled.
    public func spool(depth: Int, deadLetters: Int) {
        updateSpool { v in
            v.depth = depth
            v.deadLetters = deadLetters
        }
    }

    /// Wakes the page only when what it shows changed.
    private func updateSpool(_ body: (inout KioskState.SpoolView) -> Void) {
        let changed = state.withLock { s -> Bool in
            let before = s.spool
            body(&s.spool)
            return s.spool != before
        }
        if changed { notify() }
    }

    public func looked(_ status: CaseStatus, nowNanos: UInt64) {
        let changed = state.withLock { $0.recent.looked(status, nowNanos: nowNanos) }
        if changed { notify() }
    }

    public func lookFailed(ref: String, nowNanos: UInt64) {
        state.withLock { $0.recent.lookFailed(ref: ref, nowNanos: nowNanos) }
    }

    // MARK: the page

    public func snapshot(nowWallNanos: Int64 = Clocks.wallNanos()) -> KioskState {
        let (recent, pseudonym, spool, replies) = state.withLock {
            ($0.recent, $0.operatorPseudonym, $0.spool, $0.replyOrder.compactMap { [r = $0.replies] in r[$0] })
        }
        var op = live.operatorView()
        if op.signedIn { op.id = pseudonym }
        return KioskState(
            device: live.device,
            version: GatewayVersion.string,
            now: RFC3339.format(unixNanos: nowWallNanos),
            scans: recent.scans,
            cases: KioskState.cases(of: recent),
            operator: op,
            location: live.location(),
            readers: live.readers(),
            spool: spool,
            replies: replies
        )
    }

    /// The cases due for a look, and when the next one is due.
    public func casesDue(nowNanos: UInt64) -> (due: [String], next: UInt64?) {
        state.withLock { ($0.recent.casesDue(nowNanos: nowNanos), $0.recent.nextLookNanos) }
    }

    /// Yields once for every change (coalesced: a slow reader gets the latest only).
    public func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            s.subscribers[s.nextID] = continuation
            return s.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Pages open now: cases are followed only while someone can see them.
    public var viewers: Int { state.withLock { $0.viewers } }

    public func viewerJoined() {
        state.withLock { $0.viewers += 1 }
        notify()
    }

    public func viewerLeft() {
        state.withLock { $0.viewers = max(0, $0.viewers - 1) }
    }

    private func change(_ body: (inout State) -> Void) {
        state.withLock { body(&$0) }
        notify()
    }

    public func notify() {
        let subs = state.withLock { Array($0.subscribers.values) }
        for s in subs { s.yield() }
    }
}
