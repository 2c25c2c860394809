import Foundation
import GRDB
import GatewayCore

/// The reference server's database: every opened event, once, by envelope id.
public final class CaseStore: Sendable {
    private let pool: DatabasePool

    public init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        pool = try DatabasePool(path: path, configuration: config)
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
        try m.migrate(pool)
    }

    /// Inserts the events that are new, with their JSON as received (the opened plaintext), in
    /// one transaction. - Returns: for each event, whether it was new.
    public func insert(_ items: [(header: EventHeader, json: String)], receivedAtNanos: Int64, rejected: Int) async throws -> [Bool] {
        let rows = items.map { ($0.header.id, $0.header.device, Int64($0.header.seq), $0.json) }
        return try await pool.write { db in
            var fresh: [Bool] = []
            let stmt = try db.cachedStatement(sql: "INSERT OR IGNORE INTO event (id, device, seq, received_at_ns, event) VALUES (?, ?, ?, ?, ?)")
            for r in rows {
                try stmt.execute(arguments: [r.0, r.1, r.2, receivedAtNanos, r.3])
                fresh.append(db.changesCount == 1)
            }
            let dups = fresh.filter { !$0 }.count
            try db.execute(sql: "UPDATE stats SET value = value + ? WHERE key = 'duplicates'", arguments: [dups])
            try db.execute(sql: "UPDATE stats SET value = value + ? WHERE key = 'rejected'", arguments: [rejected])
            return fresh
        }
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
