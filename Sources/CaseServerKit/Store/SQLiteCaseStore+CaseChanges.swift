import GRDB
import GatewayCore

/// `SQLiteCaseStore`'s reads and the one write the console's pages need (`CaseRepository`).
extension SQLiteCaseStore {
    public func caseChanges(sinceNanos: Int64, afterRef: String, limit: Int) async throws -> [CaseChange] {
        try await pool.read { db in
            let sql = """
                SELECT ref, subject, schema, device, state, final, opened_at_ns, updated_at_ns FROM risk_case
                WHERE updated_at_ns >= ? AND (updated_at_ns > ? OR ref > ?) ORDER BY updated_at_ns, ref LIMIT ?
                """
            return try Row.fetchAll(db, sql: sql, arguments: [sinceNanos, sinceNanos, afterRef, limit]).map {
                try Self.change($0, db)
            }
        }
    }

    public func caseChange(ref: String) async throws -> CaseChange? {
        try await pool.read { db in
            let sql = """
                SELECT ref, subject, schema, device, state, final, opened_at_ns, updated_at_ns FROM risk_case
                WHERE ref = ?
                """
            return try Row.fetchOne(db, sql: sql, arguments: [ref]).map { try Self.change($0, db) }
        }
    }

    static func change(_ row: Row, _ db: Database) throws -> CaseChange {
        CaseChange(
            ref: row["ref"],
            subject: row["subject"],
            schema: row["schema"],
            device: row["device"],
            state: row["state"],
            final: row["final"],
            openedAtNanos: row["opened_at_ns"],
            updatedAtNanos: row["updated_at_ns"],
            insurers: try SQLiteCaseBook.insurers(db, ref: row["ref"])
        )
    }

    public func caseEvents(ref: String) async throws -> [StoredEvent] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT e.id, e.device, e.seq, e.received_at_ns, e.event FROM case_event c
                    JOIN event e ON e.id = c.event_id WHERE c.ref = ? ORDER BY e.received_at_ns, e.device, e.seq
                    """,
                arguments: [ref]
            ).map(Self.stored)
        }
    }

    public func events(receivedSinceNanos: Int64) async throws -> [StoredEvent] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, device, seq, received_at_ns, event FROM event WHERE received_at_ns >= ?
                    ORDER BY received_at_ns, device, seq
                    """,
                arguments: [receivedSinceNanos]
            ).map(Self.stored)
        }
    }

    static func stored(_ row: Row) -> StoredEvent {
        StoredEvent(
            id: row["id"],
            device: row["device"],
            seq: row["seq"],
            receivedAtNanos: row["received_at_ns"],
            eventJSON: row["event"]
        )
    }

    public func promoteGuidanceLink(type: String, nowNanos: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE guidance_link SET how = 'configured', similar_to = NULL, shared = NULL, linked_at_ns = ?
                    WHERE type = ? AND how = 'similar'
                    """,
                arguments: [nowNanos, type]
            )
            return db.changesCount == 1
        }
    }
}
