import PostgresNIO

/// `ConsoleDirectory` in PostgreSQL: the statements of `SQLiteCaseStore+Console` (migration
/// "console-accounts"). A failed sign-in is one `UPDATE … RETURNING`, whose row lock makes two
/// instances' failures count one after the other, so the tenth locks exactly once.
extension PostgresCaseStore: ConsoleDirectory {
    private typealias AccountRow = (String, String, String, String, String?, String, String, Bool, Int32, Int64?, Int64)

    public func addAccount(_ a: ConsoleAccount, nowNanos: Int64) async throws {
        guard ConsoleAccount.isValidName(a.name) else { throw ConsoleDirectoryError.invalidName(a.name) }
        let sites = ConsoleSites.join(a.sites)
        let inserted = try await client.query(
            """
            INSERT INTO console_account (name, password_hash, role, sites, insurer, language, time_zone, disabled,
                                         failed_logins, locked_until_ns, created_at_ns)
            VALUES (\(a.name), \(a.passwordHash), \(a.role.rawValue), \(sites), \(a.insurer), \(a.language),
                    \(a.timeZone), \(a.disabled), 0, NULL, \(nowNanos))
            ON CONFLICT (name) DO NOTHING RETURNING name
            """,
            logger: logger
        ).collect().count
        guard inserted == 1 else { throw ConsoleDirectoryError.nameTaken(a.name) }
    }

    public func account(named name: String) async throws -> ConsoleAccount? {
        try await client.query(
            """
            SELECT name, password_hash, role, sites, insurer, language, time_zone, disabled, failed_logins,
                   locked_until_ns, created_at_ns
            FROM console_account WHERE name = \(name)
            """,
            logger: logger
        ).collect().first.map { Self.account(try $0.decode(AccountRow.self)) }
    }

    public func accounts() async throws -> [ConsoleAccount] {
        var out: [ConsoleAccount] = []
        for try await row in try await client.query(
            """
            SELECT name, password_hash, role, sites, insurer, language, time_zone, disabled, failed_logins,
                   locked_until_ns, created_at_ns
            FROM console_account ORDER BY name
            """,
            logger: logger
        ).decode(AccountRow.self) {
            out.append(Self.account(row))
        }
        return out
    }

    public func setPasswordHash(_ hash: String, for name: String, nowNanos: Int64) async throws {
        try await transaction { c in
            let changed = try await c.query(
                """
                UPDATE console_account SET password_hash = \(hash), failed_logins = 0, locked_until_ns = NULL
                WHERE name = \(name) RETURNING name
                """,
                logger: logger
            ).collect().count
            guard changed == 1 else { throw ConsoleDirectoryError.noSuchAccount(name) }
            try await endSessions(c, account: name, reason: "password", nowNanos: nowNanos)
        }
    }

    public func disableAccount(_ name: String, nowNanos: Int64) async throws {
        try await transaction { c in
            let changed = try await c.query(
                "UPDATE console_account SET disabled = true WHERE name = \(name) RETURNING name",
                logger: logger
            ).collect().count
            guard changed == 1 else { throw ConsoleDirectoryError.noSuchAccount(name) }
            try await endSessions(c, account: name, reason: "disabled", nowNanos: nowNanos)
        }
    }

    public func recordLoginFailure(_ name: String, lock: ConsoleLockPolicy, nowNanos: Int64) async throws -> Int64? {
        let max = Int32(lock.maxFailures)
        let until = nowNanos + lock.lockNanos
        let row = try await client.query(
            """
            UPDATE console_account SET
                failed_logins = CASE WHEN failed_logins + 1 >= \(max) THEN 0 ELSE failed_logins + 1 END,
                locked_until_ns = CASE WHEN failed_logins + 1 >= \(max) THEN \(until) ELSE locked_until_ns END
            WHERE name = \(name)
            RETURNING failed_logins = 0, locked_until_ns
            """,
            logger: logger
        ).collect().first?.decode((Bool, Int64?).self)
        guard let (locked, lockedUntil) = row, locked else { return nil }
        return lockedUntil
    }

    public func recordLoginSuccess(_ name: String, nowNanos: Int64) async throws {
        try await client.query(
            "UPDATE console_account SET failed_logins = 0 WHERE name = \(name) AND failed_logins <> 0",
            logger: logger
        )
    }

    public func recordAddressFailure(_ addressHash: String, windowNanos: Int64, nowNanos: Int64) async throws -> Int {
        let oldest = nowNanos - windowNanos
        return try await transaction { c in
            try await c.query("DELETE FROM console_login_failure WHERE at_ns <= \(oldest)", logger: logger)
            try await c.query(
                "INSERT INTO console_login_failure (address_hash, at_ns) VALUES (\(addressHash), \(nowNanos))",
                logger: logger
            )
            return try await addressFailures(c, addressHash, since: oldest)
        }
    }

    public func addressFailures(_ addressHash: String, windowNanos: Int64, nowNanos: Int64) async throws -> Int {
        try await client.withConnection { c in
            try await addressFailures(c, addressHash, since: nowNanos - windowNanos)
        }
    }

    public func createSession(_ s: ConsoleSessionRecord) async throws {
        let oldest = s.createdAtNanos - ConsoleSessionRecord.keptNanos
        try await transaction { c in
            try await c.query("DELETE FROM console_session WHERE last_seen_ns < \(oldest)", logger: logger)
            try await c.query(
                """
                INSERT INTO console_session (id, account, csrf_token, created_at_ns, last_seen_ns)
                VALUES (\(s.id), \(s.account), \(s.csrfToken), \(s.createdAtNanos), \(s.lastSeenNanos))
                """,
                logger: logger
            )
        }
    }

    public func session(id: String) async throws -> (session: ConsoleSessionRecord, account: ConsoleAccount)? {
        let row = try await client.query(
            """
            SELECT id, account, csrf_token, created_at_ns, last_seen_ns, ended_at_ns, end_reason
            FROM console_session WHERE id = \(id)
            """,
            logger: logger
        ).collect().first?.decode((String, String, String, Int64, Int64, Int64?, String?).self)
        guard let (sid, name, csrf, created, seen, ended, reason) = row,
            let account = try await account(named: name)
        else { return nil }
        let s = ConsoleSessionRecord(
            id: sid,
            account: name,
            csrfToken: csrf,
            createdAtNanos: created,
            lastSeenNanos: seen,
            endedAtNanos: ended,
            endReason: reason
        )
        return (s, account)
    }

    public func touchSession(id: String, nowNanos: Int64) async throws {
        try await client.query(
            """
            UPDATE console_session SET last_seen_ns = \(nowNanos)
            WHERE id = \(id) AND ended_at_ns IS NULL AND last_seen_ns < \(nowNanos)
            """,
            logger: logger
        )
    }

    public func endSession(id: String, reason: String, nowNanos: Int64) async throws {
        try await client.query(
            """
            UPDATE console_session SET ended_at_ns = \(nowNanos), end_reason = \(reason)
            WHERE id = \(id) AND ended_at_ns IS NULL
            """,
            logger: logger
        )
    }

    public func appendAudit(_ e: ConsoleAuditEntry) async throws {
        try await client.query(
            """
            INSERT INTO console_audit (at_ns, actor, action, object, detail)
            VALUES (\(e.atNanos), \(e.actor), \(e.action), \(e.object), \(e.detail))
            """,
            logger: logger
        )
    }

    public func auditLog(limit: Int, beforeID: Int64?) async throws -> [ConsoleAuditEntry] {
        let before = beforeID ?? .max
        var out: [ConsoleAuditEntry] = []
        for try await (id, at, actor, action, object, detail) in try await client.query(
            """
            SELECT id, at_ns, actor, action, object, detail FROM console_audit
            WHERE id < \(before) ORDER BY id DESC LIMIT \(Int64(limit))
            """,
            logger: logger
        ).decode((Int64, Int64, String, String, String, String).self) {
            out.append(
                ConsoleAuditEntry(id: id, atNanos: at, actor: actor, action: action, object: object, detail: detail)
            )
        }
        return out
    }

    private static func account(_ r: AccountRow) -> ConsoleAccount {
        ConsoleAccount(
            name: r.0,
            passwordHash: r.1,
            role: ConsoleRole(rawValue: r.2) ?? .handler,
            sites: ConsoleSites.split(r.3),
            insurer: r.4,
            language: r.5,
            timeZone: r.6,
            disabled: r.7,
            failedLogins: Int(r.8),
            lockedUntilNanos: r.9,
            createdAtNanos: r.10
        )
    }

    private func endSessions(_ c: PostgresConnection, account: String, reason: String, nowNanos: Int64) async throws {
        try await c.query(
            """
            UPDATE console_session SET ended_at_ns = \(nowNanos), end_reason = \(reason)
            WHERE account = \(account) AND ended_at_ns IS NULL
            """,
            logger: logger
        )
    }

    private func addressFailures(_ c: PostgresConnection, _ hash: String, since oldest: Int64) async throws -> Int {
        let n = try await c.query(
            "SELECT count(*) FROM console_login_failure WHERE address_hash = \(hash) AND at_ns > \(oldest)",
            logger: logger
        ).collect().first?.decode(Int64.self)
        return Int(n ?? 0)
    }
}
