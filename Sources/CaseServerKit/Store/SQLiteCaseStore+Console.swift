import GRDB

/// `ConsoleDirectory` in SQLite: tables `console_account`, `console_session`,
/// `console_login_failure` and `console_audit` (migration "console-accounts"). The statements
/// are plain SQL `PostgresCaseStore+Console` repeats; a failed sign-in counts and locks in one
/// `UPDATE … RETURNING`.
extension SQLiteCaseStore: ConsoleDirectory {
    static let consoleSchema = """
        CREATE TABLE console_account (
            name TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL,
            sites TEXT NOT NULL,
            insurer TEXT,
            language TEXT NOT NULL,
            time_zone TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until_ns INTEGER,
            created_at_ns INTEGER NOT NULL
        );
        CREATE TABLE console_session (
            id TEXT PRIMARY KEY,
            account TEXT NOT NULL,
            csrf_token TEXT NOT NULL,
            created_at_ns INTEGER NOT NULL,
            last_seen_ns INTEGER NOT NULL,
            ended_at_ns INTEGER,
            end_reason TEXT
        );
        CREATE INDEX console_session_account ON console_session (account) WHERE ended_at_ns IS NULL;
        CREATE TABLE console_login_failure (address_hash TEXT NOT NULL, at_ns INTEGER NOT NULL);
        CREATE INDEX console_login_failure_address ON console_login_failure (address_hash, at_ns);
        CREATE INDEX console_login_failure_at ON console_login_failure (at_ns);
        CREATE TABLE console_audit (
            id INTEGER PRIMARY KEY,
            at_ns INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            object TEXT NOT NULL,
            detail TEXT NOT NULL
        );
        """

    static let accountColumns = """
        name, password_hash, role, sites, insurer, language, time_zone, disabled, failed_logins,
        locked_until_ns, created_at_ns
        """

    public func addAccount(_ a: ConsoleAccount, nowNanos: Int64) async throws {
        guard ConsoleAccount.isValidName(a.name) else { throw ConsoleDirectoryError.invalidName(a.name) }
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO console_account (\(Self.accountColumns))
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, ?) ON CONFLICT (name) DO NOTHING
                    """,
                arguments: [
                    a.name, a.passwordHash, a.role.rawValue, ConsoleSites.join(a.sites), a.insurer, a.language,
                    a.timeZone, a.disabled, nowNanos,
                ]
            )
            guard db.changesCount == 1 else { throw ConsoleDirectoryError.nameTaken(a.name) }
        }
    }

    public func account(named name: String) async throws -> ConsoleAccount? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT \(Self.accountColumns) FROM console_account WHERE name = ?",
                arguments: [name]
            ).map(Self.account)
        }
    }

    public func accounts() async throws -> [ConsoleAccount] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.accountColumns) FROM console_account ORDER BY name")
                .map(Self.account)
        }
    }

    public func setPasswordHash(_ hash: String, for name: String, nowNanos: Int64) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE console_account SET password_hash = ?, failed_logins = 0, locked_until_ns = NULL
                    WHERE name = ?
                    """,
                arguments: [hash, name]
            )
            guard db.changesCount == 1 else { throw ConsoleDirectoryError.noSuchAccount(name) }
            try Self.endSessions(db, account: name, reason: "password", nowNanos: nowNanos)
        }
    }

    public func disableAccount(_ name: String, nowNanos: Int64) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE console_account SET disabled = 1 WHERE name = ?", arguments: [name])
            guard db.changesCount == 1 else { throw ConsoleDirectoryError.noSuchAccount(name) }
            try Self.endSessions(db, account: name, reason: "disabled", nowNanos: nowNanos)
        }
    }

    public func recordLoginFailure(_ name: String, lock: ConsoleLockPolicy, nowNanos: Int64) async throws -> Int64? {
        try await pool.write { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    UPDATE console_account SET
                        failed_logins = CASE WHEN failed_logins + 1 >= ? THEN 0 ELSE failed_logins + 1 END,
                        locked_until_ns = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until_ns END
                    WHERE name = ?
                    RETURNING failed_logins = 0 AS locked, locked_until_ns
                    """,
                arguments: [lock.maxFailures, lock.maxFailures, nowNanos + lock.lockNanos, name]
            )
            guard let row, row["locked"] as Bool else { return nil }
            return row["locked_until_ns"] as Int64?
        }
    }

    public func recordLoginSuccess(_ name: String, nowNanos: Int64) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE console_account SET failed_logins = 0 WHERE name = ? AND failed_logins <> 0",
                arguments: [name]
            )
        }
    }

    public func recordAddressFailure(_ addressHash: String, windowNanos: Int64, nowNanos: Int64) async throws -> Int {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM console_login_failure WHERE at_ns <= ?",
                arguments: [nowNanos - windowNanos]
            )
            try db.execute(
                sql: "INSERT INTO console_login_failure (address_hash, at_ns) VALUES (?, ?)",
                arguments: [addressHash, nowNanos]
            )
            return try Self.addressFailures(db, addressHash, windowNanos: windowNanos, nowNanos: nowNanos)
        }
    }

    public func addressFailures(_ addressHash: String, windowNanos: Int64, nowNanos: Int64) async throws -> Int {
        try await pool.read { db in
            try Self.addressFailures(db, addressHash, windowNanos: windowNanos, nowNanos: nowNanos)
        }
    }

    public func createSession(_ s: ConsoleSessionRecord) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM console_session WHERE last_seen_ns < ?",
                arguments: [s.createdAtNanos - ConsoleSessionRecord.keptNanos]
            )
            try db.execute(
                sql: """
                    INSERT INTO console_session (id, account, csrf_token, created_at_ns, last_seen_ns)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [s.id, s.account, s.csrfToken, s.createdAtNanos, s.lastSeenNanos]
            )
        }
    }

    public func session(id: String) async throws -> (session: ConsoleSessionRecord, account: ConsoleAccount)? {
        try await pool.read { db in
            guard
                let r = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT id, account, csrf_token, created_at_ns, last_seen_ns, ended_at_ns, end_reason
                        FROM console_session WHERE id = ?
                        """,
                    arguments: [id]
                ),
                let a = try Row.fetchOne(
                    db,
                    sql: "SELECT \(Self.accountColumns) FROM console_account WHERE name = ?",
                    arguments: [r["account"] as String]
                )
            else { return nil }
            let s = ConsoleSessionRecord(
                id: r["id"],
                account: r["account"],
                csrfToken: r["csrf_token"],
                createdAtNanos: r["created_at_ns"],
                lastSeenNanos: r["last_seen_ns"],
                endedAtNanos: r["ended_at_ns"],
                endReason: r["end_reason"]
            )
            return (s, Self.account(a))
        }
    }

    public func touchSession(id: String, nowNanos: Int64) async throws {
        try await pool.write { db in
            try db.execute(
                sql:
                    "UPDATE console_session SET last_seen_ns = ? WHERE id = ? AND ended_at_ns IS NULL AND last_seen_ns < ?",
                arguments: [nowNanos, id, nowNanos]
            )
        }
    }

    public func endSession(id: String, reason: String, nowNanos: Int64) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE console_session SET ended_at_ns = ?, end_reason = ? WHERE id = ? AND ended_at_ns IS NULL",
                arguments: [nowNanos, reason, id]
            )
        }
    }

    public func appendAudit(_ e: ConsoleAuditEntry) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO console_audit (at_ns, actor, action, object, detail) VALUES (?, ?, ?, ?, ?)",
                arguments: [e.atNanos, e.actor, e.action, e.object, e.detail]
            )
        }
    }

    public func auditLog(limit: Int, beforeID: Int64?) async throws -> [ConsoleAuditEntry] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, at_ns, actor, action, object, detail FROM console_audit
                    WHERE id < ? ORDER BY id DESC LIMIT ?
                    """,
                arguments: [beforeID ?? .max, limit]
            ).map {
                ConsoleAuditEntry(
                    id: $0["id"],
                    atNanos: $0["at_ns"],
                    actor: $0["actor"],
                    action: $0["action"],
                    object: $0["object"],
                    detail: $0["detail"]
                )
            }
        }
    }

    private static func account(_ r: Row) -> ConsoleAccount {
        ConsoleAccount(
            name: r["name"],
            passwordHash: r["password_hash"],
            role: ConsoleRole(rawValue: r["role"]) ?? .handler,
            sites: ConsoleSites.split(r["sites"]),
            insurer: r["insurer"],
            language: r["language"],
            timeZone: r["time_zone"],
            disabled: r["disabled"],
            failedLogins: r["failed_logins"],
            lockedUntilNanos: r["locked_until_ns"],
            createdAtNanos: r["created_at_ns"]
        )
    }

    private static func endSessions(_ db: Database, account: String, reason: String, nowNanos: Int64) throws {
        try db.execute(
            sql: "UPDATE console_session SET ended_at_ns = ?, end_reason = ? WHERE account = ? AND ended_at_ns IS NULL",
            arguments: [nowNanos, reason, account]
        )
    }

    private static func addressFailures(
        _ db: Database,
        _ hash: String,
        windowNanos: Int64,
        nowNanos: Int64
    ) throws
        -> Int
    {
        try Int.fetchOne(
            db,
            sql: "SELECT count(*) FROM console_login_failure WHERE address_hash = ? AND at_ns > ?",
            arguments: [hash, nowNanos - windowNanos]
        ) ?? 0
    }
}
