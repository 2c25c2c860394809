import Foundation
import GRDB
import GatewayCore

/// The reference server's database: every opened event, once, by envelope id; the risk cases
/// they opened and the guidance links (`CaseBook`).
public final class CaseStore: Sendable {
    private let pool: DatabasePool

    public init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        // A server, not a terminal: 64 MiB of page cache keeps the indexes that new cases
        // insert into at random (case references, notes by case) in memory as the book grows
        // (SQLite's default, 2 MiB, made the drain 13% slower at 100,000 events than at 50,000).
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = -65536") }
        pool = try DatabasePool(path: path, configuration: config)
        // A gateway deletes what the server accepted, so an answer must wait for the disk. Set on
        // the writer once the pool exists: GRDB turns WAL on after `prepareDatabase` has run and
        // sets its writer to `synchronous = NORMAL` then (lost on a power loss).
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
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
                """)
        }
        CaseBook.migrate(&m)
        try m.migrate(pool)
    }

    /// The writer connection's `PRAGMA synchronous` (2 = FULL: every commit is fsynced).
    func writerSynchronous() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// Inserts the events that are new, with their JSON as received (the opened plaintext), and
    /// opens or joins their cases, in one transaction. - Returns: for each event, whether it
    /// was new and what its answer carries (the same case and guidance for a duplicate).
    public func receive(_ items: [(header: EventHeader, json: String)], receivedAtNanos: Int64, rejected: Int,
                        policy: CasePolicy) async throws -> [(fresh: Bool, answer: CaseBook.Answer)] {
        try await pool.write { db in
            var out: [(Bool, CaseBook.Answer)] = []
            var known: [EventType: Guidance?] = [:]
            let stmt = try db.cachedStatement(sql: "INSERT OR IGNORE INTO event (id, device, seq, received_at_ns, event) VALUES (?, ?, ?, ?, ?)")
            for item in items {
                try stmt.execute(arguments: [item.header.id, item.header.device, Int64(item.header.seq), receivedAtNanos, item.json])
                let fresh = db.changesCount == 1
                out.append((fresh, try CaseBook.handle(db, item.header, fresh: fresh, policy: policy, nowNanos: receivedAtNanos, known: &known)))
            }
            let dups = out.filter { !$0.0 }.count
            try db.execute(sql: "UPDATE stats SET value = value + ? WHERE key = 'duplicates'", arguments: [dups])
            try db.execute(sql: "UPDATE stats SET value = value + ? WHERE key = 'rejected'", arguments: [rejected])
            return out
        }
    }

    /// `GET /v1/cases/{ref}`.
    public func caseStatus(ref: String, catalog: GuidanceCatalog) throws -> CaseStatus? {
        try pool.read { db in try CaseBook.status(db, ref: ref, catalog: catalog) }
    }

    /// Records a step of a case's progress (its state, or one insurer's, and a note).
    public func progress(ref: String, state: String, note: String, insurer: String?, nowNanos: Int64) throws {
        try pool.write { db in try CaseBook.progress(db, ref: ref, state: state, note: note, insurer: insurer, nowNanos: nowNanos) }
    }

    public func cases() throws -> [CaseBook.Summary] {
        try pool.read { db in try CaseBook.list(db) }
    }

    public func guidanceLinks() throws -> [CaseBook.Link] {
        try pool.read { db in try CaseBook.links(db) }
    }

    public func events() throws -> [StoredEvent] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, device, seq, received_at_ns, event FROM event ORDER BY device, seq").map {
                StoredEvent(id: $0["id"], device: $0["device"], seq: $0["seq"], receivedAtNanos: $0["received_at_ns"], eventJSON: $0["event"])
            }
        }
    }

    public func counters() throws -> (events: Int, duplicates: Int, rejected: Int) {
        try pool.read { db in
            let n = try Int.fetchOne(db, sql: "SELECT count(*) FROM event") ?? 0
            let d = try Int.fetchOne(db, sql: "SELECT value FROM stats WHERE key = 'duplicates'") ?? 0
            let r = try Int.fetchOne(db, sql: "SELECT value FROM stats WHERE key = 'rejected'") ?? 0
            return (n, d, r)
        }
    }
}

public struct StoredEvent: Sendable {
    public var id: String
    public var device: String
    public var seq: Int64
    public var receivedAtNanos: Int64
    public var eventJSON: String
}
