import GRDB

/// The SQLite schema of `SQLiteCaseStore`, one migration per change; a database made by an
/// earlier version is brought forward when the server opens it.
enum SQLiteCaseMigrations {
    static func migrator() -> DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE event (
                        id TEXT PRIMARY KEY,
                        device TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        received_at_ns INTEGER NOT NULL,
                        event TEXT NOT NULL
                    );
                    CREATE INDEX event_device_seq ON event (device, seq);
                    CREATE TABLE stats (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                    INSERT INTO stats VALUES ('duplicates', 0), ('rejected', 0);
                    """
            )
        }
        m.registerMigration("v2-cases") { db in
            try db.execute(
                sql: """
                    CREATE TABLE risk_case (
                        ref TEXT PRIMARY KEY,
                        subject TEXT NOT NULL,
                        schema TEXT NOT NULL,
                        device TEXT NOT NULL,
                        state TEXT NOT NULL,
                        final INTEGER NOT NULL DEFAULT 0,
                        guidance_id TEXT,
                        opened_at_ns INTEGER NOT NULL,
                        updated_at_ns INTEGER NOT NULL
                    );
                    CREATE INDEX risk_case_open ON risk_case (schema, subject) WHERE final = 0;
                    CREATE TABLE case_insurer (
                        ref TEXT NOT NULL,
                        insurer TEXT NOT NULL,
                        name TEXT NOT NULL,
                        state TEXT NOT NULL,
                        note TEXT,
                        updated_at_ns INTEGER NOT NULL,
                        PRIMARY KEY (ref, insurer)
                    );
                    CREATE TABLE case_note (
                        ref TEXT NOT NULL,
                        at_ns INTEGER NOT NULL,
                        state TEXT NOT NULL,
                        text TEXT NOT NULL,
                        insurer TEXT
                    );
                    CREATE INDEX case_note_ref ON case_note (ref, at_ns);
                    CREATE TABLE case_event (event_id TEXT PRIMARY KEY, ref TEXT NOT NULL);
                    CREATE TABLE guidance_link (
                        type TEXT PRIMARY KEY,
                        guidance_id TEXT NOT NULL,
                        how TEXT NOT NULL,
                        similar_to TEXT,
                        shared TEXT,
                        linked_at_ns INTEGER NOT NULL
                    );
                    """
            )
        }
        // Insurers are listed, and notes of the same instant ordered, as they were written: by
        // an explicit `id` column (SQLite's rowid under its own name, so a row costs nothing
        // more), not by `rowid`, which other databases do not have. The rows keep their rowids.
        m.registerMigration("v3-explicit-order") { db in
            try db.execute(
                sql: """
                    CREATE TABLE case_insurer_v3 (
                        id INTEGER PRIMARY KEY,
                        ref TEXT NOT NULL,
                        insurer TEXT NOT NULL,
                        name TEXT NOT NULL,
                        state TEXT NOT NULL,
                        note TEXT,
                        updated_at_ns INTEGER NOT NULL,
                        UNIQUE (ref, insurer)
                    );
                    INSERT INTO case_insurer_v3 (id, ref, insurer, name, state, note, updated_at_ns)
                        SELECT rowid, ref, insurer, name, state, note, updated_at_ns FROM case_insurer;
                    DROP TABLE case_insurer;
                    ALTER TABLE case_insurer_v3 RENAME TO case_insurer;
                    CREATE TABLE case_note_v3 (
                        id INTEGER PRIMARY KEY,
                        ref TEXT NOT NULL,
                        at_ns INTEGER NOT NULL,
                        state TEXT NOT NULL,
                        text TEXT NOT NULL,
                        insurer TEXT
                    );
                    INSERT INTO case_note_v3 (id, ref, at_ns, state, text, insurer)
                        SELECT rowid, ref, at_ns, state, text, insurer FROM case_note;
                    DROP TABLE case_note;
                    ALTER TABLE case_note_v3 RENAME TO case_note;
                    CREATE INDEX case_note_ref ON case_note (ref, at_ns);
                    """
            )
        }
        // The device registry and enrollment tokens (`DeviceDirectory`); a token is kept by its
        // SHA-256 only.
        m.registerMigration("v4-devices") { db in
            try db.execute(
                sql: """
                    CREATE TABLE device (
                        id TEXT PRIMARY KEY,
                        enrolled_at_ns INTEGER,
                        enrolled_how TEXT,
                        revoked_at_ns INTEGER,
                        revoke_reason TEXT
                    );
                    CREATE TABLE device_key (
                        device TEXT NOT NULL,
                        key_id TEXT NOT NULL,
                        kem TEXT NOT NULL,
                        pem TEXT NOT NULL,
                        added_at_ns INTEGER NOT NULL,
                        retired_at_ns INTEGER,
                        PRIMARY KEY (device, key_id)
                    );
                    CREATE TABLE enrollment_token (
                        hash TEXT PRIMARY KEY,
                        device TEXT NOT NULL,
                        created_at_ns INTEGER NOT NULL,
                        expires_at_ns INTEGER NOT NULL,
                        used_at_ns INTEGER
                    );
                    CREATE INDEX enrollment_token_device ON enrollment_token (device);
                    """
            )
        }
        // Insurer notifications (an outbox: written with the case change, sent by the
        // dispatcher; Store/SQLiteNotificationOutbox.swift), and whether each insurer on a case
        // is sent them (it had a webhook when the case opened).
        m.registerMigration("v4-outbox") { db in
            try db.execute(sql: SQLiteNotificationOutbox.schema)
        }
        // The console's accounts, sessions (by the SHA-256 of their cookie's secret), failed
        // sign-ins per client address (by a hash of it) and audit log (`ConsoleDirectory`).
        m.registerMigration("console-accounts") { db in
            try db.execute(sql: SQLiteCaseStore.consoleSchema)
        }
        // Case handlers' questions and instructions to the person on site, and the terminal's
        // replies filed under them (`CaseMessages`; Store/SQLiteCaseStore+Messages.swift).
        m.registerMigration("case-messages") { db in
            try db.execute(sql: SQLiteCaseStore.messagesSchema)
        }
        // The console's change feed reads the cases changed since an instant, every instant;
        // the events of a time window feed the terminals' charts.
        m.registerMigration("console-case-changes") { db in
            try db.execute(
                sql: """
                    CREATE INDEX risk_case_updated ON risk_case (updated_at_ns);
                    CREATE INDEX event_received ON event (received_at_ns);
                    """
            )
        }
        // A case's events — its timeline, and whether a replying terminal has one under it —
        // are read by case, which without this index read the whole table.
        m.registerMigration("case-event-ref") { db in
            try db.execute(sql: "CREATE INDEX case_event_ref ON case_event (ref)")
        }
        return m
    }
}
