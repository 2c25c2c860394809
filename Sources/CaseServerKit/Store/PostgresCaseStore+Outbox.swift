import PostgresNIO

/// `NotificationOutbox` in PostgreSQL: the statements of `SQLiteNotificationOutbox` (table
/// `notification`, migration "v3-outbox"), except the claim. Every instance runs a dispatcher,
/// so a claim selects its due rows `FOR UPDATE SKIP LOCKED` — rows another dispatcher is
/// claiming at that instant are skipped, not waited for — and moves them to the end of its
/// lease in the same statement: two dispatchers never get the same row.
extension PostgresCaseStore: NotificationOutbox {
    public func claimDue(nowNanos: Int64, limit: Int, leaseNanos: Int64) async throws -> [ClaimedNotification] {
        let token = NotificationKey.draw()
        var out: [ClaimedNotification] = []
        let rows = try await client.query(
            """
            UPDATE notification SET attempts = attempts + 1, due_at_ns = \(nowNanos + leaseNanos), claim = \(token)
            WHERE id IN (SELECT id FROM notification WHERE state = 'pending' AND due_at_ns <= \(nowNanos)
                         ORDER BY due_at_ns, id LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING id, key, ref, insurer, body, attempts
            """,
            logger: logger
        )
        for try await (id, key, ref, insurer, body, attempts) in rows.decode(
            (Int64, String, String, String, String, Int32).self
        ) {
            out.append(
                ClaimedNotification(
                    id: id,
                    key: key,
                    ref: ref,
                    insurer: insurer,
                    body: body,
                    attempt: Int(attempts),
                    claim: token
                )
            )
        }
        return out.sorted { $0.id < $1.id }
    }

    public func markDelivered(_ n: ClaimedNotification, nowNanos: Int64) async throws {
        try await client.query(
            """
            UPDATE notification SET state = 'delivered', done_at_ns = \(nowNanos), claim = NULL
            WHERE id = \(n.id) AND state = 'pending'
            """,
            logger: logger
        )
    }

    public func reschedule(_ n: ClaimedNotification, dueAtNanos: Int64, reason: String) async throws {
        try await client.query(
            """
            UPDATE notification SET due_at_ns = \(dueAtNanos), last_error = \(reason), claim = NULL
            WHERE id = \(n.id) AND claim = \(n.claim) AND state = 'pending'
            """,
            logger: logger
        )
    }

    public func markFailed(_ n: ClaimedNotification, reason: String, nowNanos: Int64) async throws {
        try await client.query(
            """
            UPDATE notification SET state = 'failed', last_error = \(reason), done_at_ns = \(nowNanos), claim = NULL
            WHERE id = \(n.id) AND claim = \(n.claim) AND state = 'pending'
            """,
            logger: logger
        )
    }

    public func notifications(ref: String?) async throws -> [NotificationRecord] {
        let rows =
            if let ref {
                try await client.query(
                    """
                    SELECT key, ref, insurer, event, state, attempts, created_at_ns, due_at_ns, done_at_ns, last_error
                    FROM notification WHERE ref = \(ref) ORDER BY created_at_ns, id
                    """,
                    logger: logger
                )
            } else {
                try await client.query(
                    """
                    SELECT key, ref, insurer, event, state, attempts, created_at_ns, due_at_ns, done_at_ns, last_error
                    FROM notification ORDER BY created_at_ns, id
                    """,
                    logger: logger
                )
            }
        var out: [NotificationRecord] = []
        for try await (key, ref, insurer, event, stateText, attempts, created, due, done, error) in rows.decode(
            (String, String, String, String, String, Int32, Int64, Int64, Int64?, String?).self
        ) {
            let state = NotificationRecord.State(rawValue: stateText) ?? .pending
            out.append(
                NotificationRecord(
                    key: key,
                    ref: ref,
                    insurer: insurer,
                    event: event,
                    state: state,
                    attempts: Int(attempts),
                    createdAtNanos: created,
                    atNanos: state == .pending ? due : done ?? due,
                    lastError: error
                )
            )
        }
        return out
    }

    public func retryFailed(ref: String, insurer: String?, nowNanos: Int64) async throws -> Int {
        let n = try await client.query(
            """
            UPDATE notification SET state = 'pending', attempts = 0, due_at_ns = \(nowNanos), done_at_ns = NULL,
                claim = NULL
            WHERE ref = \(ref) AND state = 'failed' AND (\(insurer)::text IS NULL OR insurer = \(insurer))
            RETURNING id
            """,
            logger: logger
        ).collect().count
        return n
    }

    /// Writes notifications, due now, inside the transaction of the case change that made them.
    func insertNotifications(
        _ c: PostgresConnection,
        _ outgoing: [InsurerNotices.Outgoing],
        nowNanos: Int64
    )
        async throws
    {
        guard !outgoing.isEmpty else { return }
        try await c.query(
            """
            INSERT INTO notification (key, ref, insurer, event, body, created_at_ns, due_at_ns)
            SELECT k, r, i, e, b, \(nowNanos), \(nowNanos)
            FROM unnest(\(outgoing.map(\.key))::text[], \(outgoing.map(\.ref))::text[],
                        \(outgoing.map(\.insurer))::text[], \(outgoing.map(\.event.rawValue))::text[],
                        \(outgoing.map(\.body))::text[]) WITH ORDINALITY AS t (k, r, i, e, b, o)
            ORDER BY o
            """,
            logger: logger
        )
    }

    /// What a step of progress notifies (`InsurerNotices.progressed`); reads the case only for a
    /// step that notifies.
    func enqueueNotifications(
        _ c: PostgresConnection,
        for update: CaseProgress.Update,
        ref: String,
        nowNanos: Int64
    )
        async throws
    {
        guard case .caseState = update else { return }
        guard
            let (subject, schema, guidance) = try await c.query(
                "SELECT subject, schema, guidance_id FROM risk_case WHERE ref = \(ref)",
                logger: logger
            ).collect().first?.decode((String, String, String?).self)
        else { return }
        let found = InsurerNotices.NotifiedCase(ref: ref, subject: subject, schema: schema, guidanceID: guidance)
        var insurers: [(id: String, webhook: Bool)] = []
        for try await (id, webhook) in try await c.query(
            "SELECT insurer, webhook FROM case_insurer WHERE ref = \(ref) ORDER BY id",
            logger: logger
        ).decode((String, Bool).self) {
            insurers.append((id, webhook))
        }
        try await insertNotifications(
            c,
            InsurerNotices.progressed(update, case: found, insurers: insurers, nowNanos: nowNanos),
            nowNanos: nowNanos
        )
    }
}
