import GRDB

/// `SQLiteCaseStore`'s statements for the notification outbox (`NotificationOutbox`): the rows
/// are written inside the case book's transactions (`insert`, `enqueue`), and claimed, settled
/// and listed by the dispatcher and the CLI. SQLite has one writer at a time, so a claim (one
/// UPDATE … RETURNING in a write transaction) never hands a row to two dispatchers; a server
/// backend with concurrent writers selects the due rows `FOR UPDATE SKIP LOCKED` instead.
///
/// A row is `pending` (due at `due_at_ns`; while claimed, that is the end of the lease and
/// `claim` holds the claim's token), then `delivered` or `failed` (`done_at_ns`, and
/// `last_error` for why the last attempt failed).
enum SQLiteNotificationOutbox {
    static let schema = """
        ALTER TABLE case_insurer ADD COLUMN webhook INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE notification (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            ref TEXT NOT NULL,
            insurer TEXT NOT NULL,
            event TEXT NOT NULL,
            body TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at_ns INTEGER NOT NULL,
            due_at_ns INTEGER NOT NULL,
            claim TEXT,
            last_error TEXT,
            done_at_ns INTEGER
        );
        CREATE INDEX notification_due ON notification (due_at_ns) WHERE state = 'pending';
        CREATE INDEX notification_ref ON notification (ref, insurer);
        """

    /// Writes notifications, due now.
    static func insert(_ db: Database, _ outgoing: [InsurerNotices.Outgoing], nowNanos: Int64) throws {
        guard !outgoing.isEmpty else { return }
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO notification (key, ref, insurer, event, body, created_at_ns, due_at_ns)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """
        )
        for n in outgoing {
            try insert.execute(arguments: [n.key, n.ref, n.insurer, n.event.rawValue, n.body, nowNanos, nowNanos])
        }
    }

    /// Writes what a step of progress notifies (`InsurerNotices.progressed`); reads the case
    /// only for a step that notifies.
    static func enqueue(_ db: Database, for update: CaseProgress.Update, ref: String, nowNanos: Int64) throws {
        guard case .caseState = update,
            let row = try Row.fetchOne(
                db,
                sql: "SELECT subject, schema, guidance_id FROM risk_case WHERE ref = ?",
                arguments: [ref]
            )
        else { return }
        let insurers = try Row.fetchAll(
            db,
            sql: "SELECT insurer, webhook FROM case_insurer WHERE ref = ? ORDER BY id",
            arguments: [ref]
        ).map { (id: $0["insurer"] as String, webhook: $0["webhook"] as Bool) }
        let facts = InsurerNotices.NotifiedCase(
            ref: ref,
            subject: row["subject"],
            schema: row["schema"],
            guidanceID: row["guidance_id"]
        )
        try insert(
            db,
            InsurerNotices.progressed(update, case: facts, insurers: insurers, nowNanos: nowNanos),
            nowNanos: nowNanos
        )
    }

    static func claim(
        _ db: Database,
        nowNanos: Int64,
        limit: Int,
        leaseNanos: Int64,
        token: String
    ) throws -> [ClaimedNotification] {
        try Row.fetchAll(
            db,
            sql: """
                UPDATE notification SET attempts = attempts + 1, due_at_ns = ?, claim = ?
                WHERE id IN (SELECT id FROM notification WHERE state = 'pending' AND due_at_ns <= ?
                             ORDER BY due_at_ns, id LIMIT ?)
                RETURNING id, key, ref, insurer, body, attempts
                """,
            arguments: [nowNanos + leaseNanos, token, nowNanos, limit]
        ).map {
            ClaimedNotification(
                id: $0["id"],
                key: $0["key"],
                ref: $0["ref"],
                insurer: $0["insurer"],
                body: $0["body"],
                attempt: $0["attempts"],
                claim: token
            )
        }.sorted { $0.id < $1.id }
    }

    static func delivered(_ db: Database, id: Int64, nowNanos: Int64) throws {
        try db.execute(
            sql: """
                UPDATE notification SET state = 'delivered', done_at_ns = ?, claim = NULL
                WHERE id = ? AND state = 'pending'
                """,
            arguments: [nowNanos, id]
        )
    }

    static func reschedule(_ db: Database, id: Int64, claim: String, dueAtNanos: Int64, reason: String) throws {
        try db.execute(
            sql: """
                UPDATE notification SET due_at_ns = ?, last_error = ?, claim = NULL
                WHERE id = ? AND claim = ? AND state = 'pending'
                """,
            arguments: [dueAtNanos, reason, id, claim]
        )
    }

    static func failed(_ db: Database, id: Int64, claim: String, reason: String, nowNanos: Int64) throws {
        try db.execute(
            sql: """
                UPDATE notification SET state = 'failed', last_error = ?, done_at_ns = ?, claim = NULL
                WHERE id = ? AND claim = ? AND state = 'pending'
                """,
            arguments: [reason, nowNanos, id, claim]
        )
    }

    static func list(_ db: Database, ref: String?) throws -> [NotificationRecord] {
        let sql = """
            SELECT key, ref, insurer, event, state, attempts, created_at_ns, due_at_ns, done_at_ns, last_error
            FROM notification \(ref == nil ? "" : "WHERE ref = ?") ORDER BY created_at_ns, id
            """
        return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(ref.map { [$0] } ?? [])).map {
            let state = NotificationRecord.State(rawValue: $0["state"]) ?? .pending
            return NotificationRecord(
                key: $0["key"],
                ref: $0["ref"],
                insurer: $0["insurer"],
                event: $0["event"],
                state: state,
                attempts: $0["attempts"],
                createdAtNanos: $0["created_at_ns"],
                atNanos: state == .pending ? $0["due_at_ns"] : ($0["done_at_ns"] as Int64?) ?? $0["due_at_ns"],
                lastError: $0["last_error"]
            )
        }
    }

    static func retryFailed(_ db: Database, ref: String, insurer: String?, nowNanos: Int64) throws -> Int {
        try db.execute(
            sql: """
                UPDATE notification SET state = 'pending', attempts = 0, due_at_ns = ?, done_at_ns = NULL, claim = NULL
                WHERE ref = ? AND state = 'failed' AND (? IS NULL OR insurer = ?)
                """,
            arguments: [nowNanos, ref, insurer, insurer]
        )
        return db.changesCount
    }
}

extension SQLiteCaseStore: NotificationOutbox {
    public func claimDue(nowNanos: Int64, limit: Int, leaseNanos: Int64) async throws -> [ClaimedNotification] {
        let token = NotificationKey.draw()
        return try await pool.write { db in
            try SQLiteNotificationOutbox.claim(
                db,
                nowNanos: nowNanos,
                limit: limit,
                leaseNanos: leaseNanos,
                token: token
            )
        }
    }

    public func markDelivered(_ n: ClaimedNotification, nowNanos: Int64) async throws {
        try await pool.write { db in try SQLiteNotificationOutbox.delivered(db, id: n.id, nowNanos: nowNanos) }
    }

    public func reschedule(_ n: ClaimedNotification, dueAtNanos: Int64, reason: String) async throws {
        try await pool.write { db in
            try SQLiteNotificationOutbox.reschedule(
                db,
                id: n.id,
                claim: n.claim,
                dueAtNanos: dueAtNanos,
                reason: reason
            )
        }
    }

    public func markFailed(_ n: ClaimedNotification, reason: String, nowNanos: Int64) async throws {
        try await pool.write { db in
            try SQLiteNotificationOutbox.failed(db, id: n.id, claim: n.claim, reason: reason, nowNanos: nowNanos)
        }
    }

    public func notifications(ref: String?) async throws -> [NotificationRecord] {
        try await pool.read { db in try SQLiteNotificationOutbox.list(db, ref: ref) }
    }

    public func retryFailed(ref: String, insurer: String?, nowNanos: Int64) async throws -> Int {
        try await pool.write { db in
            try SQLiteNotificationOutbox.retryFailed(db, ref: ref, insurer: insurer, nowNanos: nowNanos)
        }
    }
}
