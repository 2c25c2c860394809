/// The queue of insurer notifications the dispatcher works on: rows written by the store in the
/// transaction of the case change that caused them (`InsurerNotices`), claimed by dispatchers
/// (one per server instance), each claim a lease. A claim moves the row's due time to the end
/// of the lease, so the row of a dispatcher killed mid-send is claimed again once it passes; the
/// claim token keeps a dispatcher whose lease lapsed from rescheduling or failing a row another
/// has claimed since. `SQLiteCaseStore` conforms (Store/SQLiteNotificationOutbox.swift).
public protocol NotificationOutbox: Sendable {
    /// Claims up to `limit` pending rows due at `nowNanos`, oldest due first, counting an
    /// attempt on each, for `leaseNanos`. Concurrent callers get disjoint rows.
    func claimDue(nowNanos: Int64, limit: Int, leaseNanos: Int64) async throws -> [ClaimedNotification]

    /// The insurer accepted it. Recorded whoever claimed it last: the insurer has acted.
    func markDelivered(_ n: ClaimedNotification, nowNanos: Int64) async throws

    /// This attempt failed; try again at `dueAtNanos`. A no-op once the claim has lapsed.
    func reschedule(_ n: ClaimedNotification, dueAtNanos: Int64, reason: String) async throws

    /// Given up on: failed with `reason`. A no-op once the claim has lapsed.
    func markFailed(_ n: ClaimedNotification, reason: String, nowNanos: Int64) async throws

    /// Every notification (of one case when `ref` is given), oldest first.
    func notifications(ref: String?) async throws -> [NotificationRecord]

    /// Puts a case's failed notifications (one insurer's when given) back in the queue, due now,
    /// with their attempts counted from 0 and the same Idempotency-Key. - Returns: how many.
    func retryFailed(ref: String, insurer: String?, nowNanos: Int64) async throws -> Int
}

/// A notification as a dispatcher claimed it.
public struct ClaimedNotification: Sendable, Equatable {
    public var id: Int64
    public var key: String
    public var ref: String
    public var insurer: String
    public var body: String
    /// This attempt's number, from 1.
    public var attempt: Int
    /// The claim's token: the reschedule and fail of this claim only.
    public var claim: String

    public init(id: Int64, key: String, ref: String, insurer: String, body: String, attempt: Int, claim: String) {
        self.id = id
        self.key = key
        self.ref = ref
        self.insurer = insurer
        self.body = body
        self.attempt = attempt
        self.claim = claim
    }
}

/// A notification as `case-server notifications` and `cases` show it.
public struct NotificationRecord: Sendable, Equatable {
    public enum State: String, Sendable {
        case pending, delivered, failed
    }

    public var key: String
    public var ref: String
    public var insurer: String
    public var event: String
    public var state: State
    /// Attempts made so far.
    public var attempts: Int
    /// When it was written.
    public var createdAtNanos: Int64
    /// Pending: when it is next due (or its claim lapses); delivered or failed: when.
    public var atNanos: Int64
    /// Why the last attempt failed; nil before any failure.
    public var lastError: String?

    public init(
        key: String,
        ref: String,
        insurer: String,
        event: String,
        state: State,
        attempts: Int,
        createdAtNanos: Int64,
        atNanos: Int64,
        lastError: String?
    ) {
        self.key = key
        self.ref = ref
        self.insurer = insurer
        self.event = event
        self.state = state
        self.attempts = attempts
        self.createdAtNanos = createdAtNanos
        self.atNanos = atNanos
        self.lastError = lastError
    }

    /// One insurer's notifications on a case in a few words, for `case-server cases`: failed
    /// (with the reason) before pending (with its attempts) before delivered.
    public static func summary(_ records: [NotificationRecord]) -> String {
        if let f = records.last(where: { $0.state == .failed }) {
            return "failed: \(f.lastError ?? "-")"
        }
        if let p = records.first(where: { $0.state == .pending }) {
            return "pending (\(p.attempts) attempts\(p.lastError.map { ", last: \($0)" } ?? ""))"
        }
        return records.isEmpty ? "not sent" : "delivered"
    }
}
