/// The recent scans a terminal shows and the cases they opened or joined, as a pure state
/// machine: the capture path, the forwarder and the case follower report what happened; the
/// kiosk page shows `scans` and `cases`. No I/O, no clock: callers pass the time.
///
/// Only the last `capacity` scans are kept, newest first; a case is followed while a scan in
/// the list refers to it and it is not final.
public struct RecentScans: Sendable {
    public let capacity: Int
    public let followCap: Duration
    public private(set) var scans: [ScanRecord] = []
    public private(set) var cases: [String: FollowedCase] = [:]

    /// A case a shown scan refers to: the latest the server said of it, and when to look again.
    public struct FollowedCase: Sendable, Equatable {
        public var info: CaseInfo
        public var status: CaseStatus?
        public var unchangedLooks = 0
        public var lastLookFailed = false
        public var nextLookNanos: UInt64
        public var final: Bool { status?.final ?? false }
    }

    public init(capacity: Int = 20, followCap: Duration = .seconds(30)) {
        self.capacity = max(1, capacity)
        self.followCap = followCap
    }

    /// Scans just committed to the spool, in any order.
    public mutating func spooled(_ records: [ScanRecord]) {
        // A burst commits up to a thousand scans at once; only the newest `capacity` can show.
        var newest = records
        if let top = records.lazy.map(\.seq).max(), records.count > capacity {
            let floor = top >= UInt64(capacity) ? top - UInt64(capacity) : 0
            let above = records.filter { $0.seq > floor }
            // One commit's numbers are consecutive, so this keeps exactly `capacity`; records
            // with gaps keep them all and sort.
            if above.count >= capacity { newest = above }
        }
        scans.insert(contentsOf: newest.sorted { $0.seq > $1.seq }, at: 0)
        if scans.count > capacity { scans.removeLast(scans.count - capacity) }
        forgetUnshownCases()
    }

    /// A batch went out to the server.
    public mutating func sent(ids: [String]) {
        update(ids) { if $0.delivery == .spooled { $0.delivery = .sent } }
    }

    /// The batch did not get through (the envelopes stay in the spool and go again).
    public mutating func failed(ids: [String], reason: String) {
        update(ids) {
            if $0.delivery == .sent { $0.delivery = .spooled }
            $0.reason = reason
        }
    }

    /// The server's answer, per envelope. Accepted and duplicate envelopes are delivered and
    /// carry the server's case and guidance; rejected ones are dead letters.
    public mutating func answered(_ results: [EnvelopeResult], nowNanos: UInt64) {
        for r in results {
            guard let i = scans.firstIndex(where: { $0.id == r.id }) else { continue }
            switch r.status {
            case .accepted, .duplicate:
                scans[i].delivery = .accepted
                scans[i].reason = nil
                scans[i].guidance = r.guidance ?? scans[i].guidance
                if let c = r.case {
                    scans[i].caseRef = c.ref
                    if var followed = cases[c.ref] {
                        // Newer than what was seen: look again soon.
                        if followed.info != c {
                            followed.unchangedLooks = 0
                            followed.nextLookNanos = nowNanos + Self.nanos(delay(followed))
                        }
                        followed.info = c
                        cases[c.ref] = followed
                    } else {
                        cases[c.ref] = FollowedCase(
                            info: c,
                            nextLookNanos: nowNanos
                                + Self.nanos(CaseFollowPolicy.delay(unchangedLooks: 0, failed: false, cap: followCap))
                        )
                    }
                }
            case .rejected:
                scans[i].delivery = .deadLettered
                scans[i].reason = r.reason
            }
        }
    }

    /// Envelopes the forwarder made dead letters without a per-envelope answer (a batch the
    /// server refused as a whole, sent again one by one).
    public mutating func deadLettered(_ letters: [(id: String, reason: String)]) {
        for l in letters {
            update([l.id]) {
                $0.delivery = .deadLettered
                $0.reason = l.reason
            }
        }
    }

    /// The cases to look at now (shown, not final, due).
    public func casesDue(nowNanos: UInt64) -> [String] {
        cases.filter { !$0.value.final && $0.value.nextLookNanos <= nowNanos }.map(\.key).sorted()
    }

    /// When the next look is due, if any case is followed.
    public var nextLookNanos: UInt64? {
        cases.values.filter { !$0.final }.map(\.nextLookNanos).min()
    }

    /// What `GET /v1/cases/{ref}` answered. - Returns: whether anything shown changed.
    @discardableResult
    public mutating func looked(_ status: CaseStatus, nowNanos: UInt64) -> Bool {
        guard var c = cases[status.ref] else { return false }
        let changed = c.status != status
        c.status = status
        c.info.state = status.state
        c.info.insurers = status.insurers
        c.unchangedLooks = changed ? 0 : c.unchangedLooks + 1
        c.lastLookFailed = false
        c.nextLookNanos = nowNanos + Self.nanos(delay(c))
        cases[status.ref] = c
        if let g = status.guidance {
            for i in scans.indices where scans[i].caseRef == status.ref && scans[i].guidance == nil {
                scans[i].guidance = g
            }
        }
        return changed
    }

    /// A look that failed: wait longer, keep what was shown.
    public mutating func lookFailed(ref: String, nowNanos: UInt64) {
        guard var c = cases[ref] else { return }
        c.unchangedLooks += 1
        c.lastLookFailed = true
        c.nextLookNanos = nowNanos + Self.nanos(delay(c))
        cases[ref] = c
    }

    func delay(_ c: FollowedCase) -> Duration {
        CaseFollowPolicy.delay(unchangedLooks: c.unchangedLooks, failed: c.lastLookFailed, cap: followCap)
    }

    mutating func update(_ ids: [String], _ change: (inout ScanRecord) -> Void) {
        let wanted = Set(ids)
        for i in scans.indices where wanted.contains(scans[i].id) { change(&scans[i]) }
    }

    mutating func forgetUnshownCases() {
        let shown = Set(scans.compactMap(\.caseRef))
        cases = cases.filter { shown.contains($0.key) }
    }

    static func nanos(_ d: Duration) -> UInt64 {
        let (s, atto) = d.components
        return UInt64(max(0, s)) * 1_000_000_000 + UInt64(max(0, atto) / 1_000_000_000)
    }
}
