import Foundation
import GRDB
import GatewayCore

/// The reference server's storage, in SQLite (GRDB): every opened event, once, by envelope id;
/// the risk cases they opened and the guidance links, written as `CaseRules` plans them
/// (`SQLiteCaseBook` holds the statements).
public final class SQLiteCaseStore: CaseRepository {
    /// Internal, not private: the device directory's and the notification outbox's statements
    /// live in their own files (`SQLiteCaseStore+Devices.swift`, `SQLiteNotificationOutbox.swift`).
    let pool: DatabasePool

    public init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        // A server, not a terminal: 64 MiB of page cache keeps the indexes that new cases
        // insert into at random (case references, notes by case) in memory as the book grows
        // (SQLite's default, 2 MiB, made the drain slower as the book grew).
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = -65536") }
        pool = try DatabasePool(path: path, configuration: config)
        // A gateway deletes what the server accepted, so an answer must wait for the disk. Set on
        // the writer once the pool exists: GRDB turns WAL on after `prepareDatabase` has run and
        // sets its writer to `synchronous = NORMAL` then (lost on a power loss).
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try SQLiteCaseMigrations.migrator().migrate(pool)
    }

    /// The writer connection's `PRAGMA synchronous` (2 = FULL: every commit is fsynced).
    func writerSynchronous() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    public func receive(
        _ events: [OpenedEvent],
        receivedAtNanos: Int64,
        rejected: Int,
        rules: CaseRules
    ) async throws
        -> [ReceivedEvent]
    {
        try await pool.write { db in
            var out: [ReceivedEvent] = []
            out.reserveCapacity(events.count)
            var known: [EventType: Guidance?] = [:]
            let facts = SQLiteCaseBook.Facts(db: db)
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO event (id, device, seq, received_at_ns, event) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT DO NOTHING
                    """
            )
            for e in events {
                let h = e.header
                try insert.execute(arguments: [h.id, h.device, Int64(h.seq), receivedAtNanos, e.json])
                let fresh = db.changesCount == 1
                let plan = try rules.plan(for: h, fresh: fresh, nowNanos: receivedAtNanos, known: &known, facts: facts)
                let answer = try SQLiteCaseBook.apply(plan, eventID: h.id, db, nowNanos: receivedAtNanos)
                var filed: Bool?
                if fresh, let reply = e.reply { filed = try Self.fileReply(db, reply, nowNanos: receivedAtNanos) }
                out.append(ReceivedEvent(fresh: fresh, answer: answer, replyFiled: filed))
            }
            let dups = out.count { !$0.fresh }
            try db.execute(sql: "UPDATE stats SET value = value + ? WHERE key = 'duplicates'", arguments: [dups])
            try db.execute(sql: "UPDATE stats SET value = value + ? WHERE key = 'rejected'", arguments: [rejected])
            return out
        }
    }

    public func caseStatus(ref: String, catalog: GuidanceCatalog) async throws -> CaseStatus? {
        try await pool.read { db in try SQLiteCaseBook.status(db, ref: ref, catalog: catalog) }
    }

    public func progress(ref: String, state: String, note: String, insurer: String?, nowNanos: Int64) async throws {
        try await pool.write { db in
            try SQLiteCaseBook.progress(db, ref: ref, state: state, note: note, insurer: insurer, nowNanos: nowNanos)
        }
    }

    public func cases() async throws -> [CaseSummary] {
        try await pool.read { db in try SQLiteCaseBook.list(db) }
    }

    public func guidanceLinks() async throws -> [GuidanceLink] {
        try await pool.read { db in try SQLiteCaseBook.links(db) }
    }

    public func events() async throws -> [StoredEvent] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, device, seq, received_at_ns, event FROM event ORDER BY device, seq")
                .map {
                    StoredEvent(
                        id: $0["id"],
                        device: $0["device"],
                        seq: $0["seq"],
                        receivedAtNanos: $0["received_at_ns"],
                        eventJSON: $0["event"]
                    )
                }
        }
    }

    public func latestHeartbeats() async throws -> [StoredEvent] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, device, seq, max(received_at_ns) AS received_at_ns, event FROM event
                    WHERE json_extract(event, '$.kind') = 'heartbeat' GROUP BY device ORDER BY device
                    """
            ).map {
                StoredEvent(
                    id: $0["id"],
                    device: $0["device"],
                    seq: $0["seq"],
                    receivedAtNanos: $0["received_at_ns"],
                    eventJSON: $0["event"]
                )
            }
        }
    }

    public func ready() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM stats") }
    }

    public func counters() async throws -> EventCounters {
        try await pool.read { db in
            let n = try Int.fetchOne(db, sql: "SELECT count(*) FROM event") ?? 0
            let d = try Int.fetchOne(db, sql: "SELECT value FROM stats WHERE key = 'duplicates'") ?? 0
            let r = try Int.fetchOne(db, sql: "SELECT value FROM stats WHERE key = 'rejected'") ?? 0
            return EventCounters(events: n, duplicates: d, rejected: r)
        }
    }
}
