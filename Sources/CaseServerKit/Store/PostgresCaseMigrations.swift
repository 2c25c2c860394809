import Logging
import PostgresNIO

/// The PostgreSQL schema of `PostgresCaseStore`, one migration per change, applied when a server
/// starts. Several instances may start at once: the whole run holds a transaction-scoped
/// advisory lock, so one applies what is missing while the others wait and then find nothing
/// to do; a migration and its record commit together (PostgreSQL's DDL is transactional).
///
/// The tables are `SQLiteCaseStore`'s, with differences that matter under several writers: an
/// object has at most one open case by a unique partial index, which is what decides between
/// two instances opening one object's case at once (`PostgresCaseStore`); the duplicate and
/// rejected totals are rows appended per batch (`event_tally`), not counters every batch would
/// update and so queue behind; and the key columns compare bytes (`COLLATE "C"`: ids and
/// references have no language, and the locale's comparison was a visible cost in every index
/// insert).
enum PostgresCaseMigrations {
    /// Taken by every migrating server; a constant of this schema (`gatewayd` in ASCII).
    static let lockKey: Int64 = 0x6761_7465_7761_7964

    static let all: [(version: String, sql: [String])] = [
        (
            "v1",
            [
                """
                CREATE TABLE event (
                    id text COLLATE "C" PRIMARY KEY,
                    device text COLLATE "C" NOT NULL,
                    seq bigint NOT NULL,
                    received_at_ns bigint NOT NULL,
                    event text NOT NULL
                )
                """,
                "CREATE INDEX event_device_seq ON event (device, seq)",
                "CREATE TABLE event_tally (duplicates bigint NOT NULL, rejected bigint NOT NULL)",
                """
                CREATE TABLE risk_case (
                    ref text COLLATE "C" PRIMARY KEY,
                    subject text COLLATE "C" NOT NULL,
                    schema text COLLATE "C" NOT NULL,
                    device text COLLATE "C" NOT NULL,
                    state text NOT NULL,
                    final boolean NOT NULL DEFAULT false,
                    guidance_id text,
                    opened_at_ns bigint NOT NULL,
                    updated_at_ns bigint NOT NULL
                )
                """,
                "CREATE UNIQUE INDEX risk_case_open ON risk_case (schema, subject) WHERE NOT final",
                "CREATE INDEX risk_case_opened ON risk_case (opened_at_ns)",
                """
                CREATE TABLE case_insurer (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    ref text COLLATE "C" NOT NULL,
                    insurer text COLLATE "C" NOT NULL,
                    name text NOT NULL,
                    state text NOT NULL,
                    note text,
                    updated_at_ns bigint NOT NULL,
                    UNIQUE (ref, insurer)
                )
                """,
                """
                CREATE TABLE case_note (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    ref text COLLATE "C" NOT NULL,
                    at_ns bigint NOT NULL,
                    state text NOT NULL,
                    text text NOT NULL,
                    insurer text
                )
                """,
                "CREATE INDEX case_note_ref ON case_note (ref, at_ns)",
                "CREATE TABLE case_event (event_id text COLLATE \"C\" PRIMARY KEY, ref text COLLATE \"C\" NOT NULL)",
                """
                CREATE TABLE guidance_link (
                    type text COLLATE "C" PRIMARY KEY,
                    guidance_id text NOT NULL,
                    how text NOT NULL,
                    similar_to text,
                    shared text,
                    linked_at_ns bigint NOT NULL
                )
                """,
            ]
        ),
        // The device registry and enrollment tokens (`DeviceDirectory`), as SQLite's "v4-devices";
        // a token is kept by its SHA-256 only.
        (
            "v2-devices",
            [
                """
                CREATE TABLE device (
                    id text PRIMARY KEY,
                    enrolled_at_ns bigint,
                    enrolled_how text,
                    revoked_at_ns bigint,
                    revoke_reason text
                )
                """,
                """
                CREATE TABLE device_key (
                    device text NOT NULL,
                    key_id text NOT NULL,
                    kem text NOT NULL,
                    pem text NOT NULL,
                    added_at_ns bigint NOT NULL,
                    retired_at_ns bigint,
                    PRIMARY KEY (device, key_id)
                )
                """,
                """
                CREATE TABLE enrollment_token (
                    hash text PRIMARY KEY,
                    device text NOT NULL,
                    created_at_ns bigint NOT NULL,
                    expires_at_ns bigint NOT NULL,
                    used_at_ns bigint
                )
                """,
                "CREATE INDEX enrollment_token_device ON enrollment_token (device)",
            ]
        ),
        // Insurer notifications (an outbox: written with the case change, sent by a dispatcher
        // in every instance), as SQLite's "v4-outbox".
        (
            "v3-outbox",
            [
                "ALTER TABLE case_insurer ADD COLUMN webhook boolean NOT NULL DEFAULT false",
                """
                CREATE TABLE notification (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    key text NOT NULL UNIQUE,
                    ref text NOT NULL,
                    insurer text NOT NULL,
                    event text NOT NULL,
                    body text NOT NULL,
                    state text NOT NULL DEFAULT 'pending',
                    attempts integer NOT NULL DEFAULT 0,
                    created_at_ns bigint NOT NULL,
                    due_at_ns bigint NOT NULL,
                    claim text,
                    last_error text,
                    done_at_ns bigint
                )
                """,
                "CREATE INDEX notification_due ON notification (due_at_ns) WHERE state = 'pending'",
                "CREATE INDEX notification_ref ON notification (ref, insurer)",
            ]
        ),
        // The console's accounts, sessions, failed sign-ins per address and audit log
        // (`ConsoleDirectory`), as SQLite's "console-accounts".
        (
            "console-accounts",
            [
                """
                CREATE TABLE console_account (
                    name text PRIMARY KEY,
                    password_hash text NOT NULL,
                    role text NOT NULL,
                    sites text NOT NULL,
                    insurer text,
                    language text NOT NULL,
                    time_zone text NOT NULL,
                    disabled boolean NOT NULL DEFAULT false,
                    failed_logins integer NOT NULL DEFAULT 0,
                    locked_until_ns bigint,
                    created_at_ns bigint NOT NULL
                )
                """,
                """
                CREATE TABLE console_session (
                    id text PRIMARY KEY,
                    account text NOT NULL,
                    csrf_token text NOT NULL,
                    created_at_ns bigint NOT NULL,
                    last_seen_ns bigint NOT NULL,
                    ended_at_ns bigint,
                    end_reason text
                )
                """,
                "CREATE INDEX console_session_account ON console_session (account) WHERE ended_at_ns IS NULL",
                "CREATE TABLE console_login_failure (address_hash text NOT NULL, at_ns bigint NOT NULL)",
                "CREATE INDEX console_login_failure_address ON console_login_failure (address_hash, at_ns)",
                "CREATE INDEX console_login_failure_at ON console_login_failure (at_ns)",
                """
                CREATE TABLE console_audit (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    at_ns bigint NOT NULL,
                    actor text NOT NULL,
                    action text NOT NULL,
                    object text NOT NULL,
                    detail text NOT NULL
                )
                """,
            ]
        ),
        // Case handlers' questions and instructions to the person on site, and the terminal's
        // replies filed under them (`CaseMessages`), as SQLite's "case-messages".
        (
            "case-messages",
            [
                """
                CREATE TABLE case_message (
                    n bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    id text COLLATE "C" NOT NULL UNIQUE,
                    ref text COLLATE "C" NOT NULL,
                    kind text NOT NULL,
                    text text NOT NULL,
                    choices text NOT NULL,
                    free_text boolean NOT NULL,
                    sent_by text NOT NULL,
                    sent_at_ns bigint NOT NULL,
                    answer text,
                    answered_at_ns bigint,
                    reply_event text,
                    reply_device text
                )
                """,
                "CREATE INDEX case_message_ref ON case_message (ref, n)",
            ]
        ),
        // The console's change feed reads the cases changed since an instant, every instant
        // and in every instance; the events of a time window feed the terminals' charts.
        (
            "console-case-changes",
            [
                "CREATE INDEX risk_case_updated ON risk_case (updated_at_ns)",
                "CREATE INDEX event_received ON event (received_at_ns)",
            ]
        ),
        // A case's events — its timeline, and whether a replying terminal has one under it —
        // are read by case, which without this index read the whole table.
        ("case-event-ref", ["CREATE INDEX case_event_ref ON case_event (ref)"]),
    ]

    static var versions: [String] { all.map(\.version) }

    /// Applies what is missing. - Throws: `StoreError.schemaTooNew` when the database has a
    /// migration this version does not know (a newer server upgraded it).
    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await PostgresCaseStore.transaction(client, logger: logger) { c in
            try await c.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await c.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migration (
                    version text PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                logger: logger
            )
            let applied = try await appliedVersions(c, logger: logger)
            if applied.contains(where: { !versions.contains($0) }) {
                throw StoreError.schemaTooNew(applied: applied, known: versions)
            }
            for m in all where !applied.contains(m.version) {
                for statement in m.sql { try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await c.query("INSERT INTO schema_migration (version) VALUES (\(m.version))", logger: logger)
                logger.info("database migrated", metadata: ["version": "\(m.version)"])
            }
        }
    }

    /// The versions recorded, in the order `all` applies them (names do not sort that way:
    /// "console-accounts" came after "v3-outbox"), then any this version does not know.
    static func appliedVersions(_ c: PostgresConnection, logger: Logger) async throws -> [String] {
        var out: [String] = []
        for try await v in try await c.query("SELECT version FROM schema_migration ORDER BY version", logger: logger)
            .decode(String.self)
        {
            out.append(v)
        }
        let known = versions
        return known.filter(out.contains) + out.filter { !known.contains($0) }
    }
}
