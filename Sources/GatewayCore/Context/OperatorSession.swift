/// Who is scanning: a pure state machine fed with classified scans and the monotonic clock.
///
/// An operator-class scan (a badge tap, per the label schemas or the reader's role) signs that
/// operator in — replacing whoever was signed in — and each of their scans renews the session;
/// a logout tag (a config-class scan whose subject is `logoutSubject`) or `timeout` of silence
/// ends it. Scans with no session are marked unidentified: the case server treats them as a
/// possible bystander report, not the customer's.
public struct OperatorSession: Sendable, Equatable {
    public var timeoutNanos: UInt64
    public var logoutSubject: String
    public private(set) var current: (id: String, lastSeenNanos: UInt64)?

    public static func == (a: OperatorSession, b: OperatorSession) -> Bool {
        a.timeoutNanos == b.timeoutNanos && a.logoutSubject == b.logoutSubject && a.current?.id == b.current?.id
            && a.current?.lastSeenNanos == b.current?.lastSeenNanos
    }

    public init(timeoutSeconds: Double = 900, logoutSubject: String = "LOGOUT") {
        timeoutNanos = UInt64(timeoutSeconds * 1e9)
        self.logoutSubject = logoutSubject
    }

    public enum Change: Sendable, Equatable {
        case none
        case signedIn(String)
        case signedOut(String, reason: String)
    }

    /// The operator in effect at `now` (nil once the session has timed out).
    public func operatorID(at now: UInt64) -> String? {
        guard let c = current, now >= c.lastSeenNanos, now - c.lastSeenNanos <= timeoutNanos else { return nil }
        return c.id
    }

    /// Expires a silent session; call before using it, and on a timer to log the end.
    public mutating func expire(at now: UInt64) -> Change {
        guard let c = current, now > c.lastSeenNanos, now - c.lastSeenNanos > timeoutNanos else { return .none }
        current = nil
        return .signedOut(c.id, reason: "timeout")
    }

    /// Folds one classified scan in; returns what changed.
    public mutating func observe(_ tag: TagClassification, at now: UInt64) -> Change {
        let expired = expire(at: now)
        switch tag.kind {
        case .operatorBadge:
            guard let id = tag.subject, !id.isEmpty else { return expired }
            current = (id, now)
            return .signedIn(id)
        case .configuration where tag.subject == logoutSubject:
            guard let c = current else { return expired }
            current = nil
            return .signedOut(c.id, reason: "logout tag")
        default:
            if let c = current { current = (c.id, now) }
            return expired
        }
    }
}
