import Foundation
import GRDB
import GatewayCore

/// The durable retry queue: a SQLite database in WAL mode holding sealed envelopes until the
/// case server has accepted them.
///
/// Durability: `journal_mode=WAL` with `synchronous=FULL`, so a commit has reached the disk (the
/// WAL is fsynced) before `append` returns and before the reader consumes the scan's bytes. A
/// kill -9 or a power loss after that cannot lose the scan. The database holds only sealed
/// envelopes and counters: nothing in it is readable without the case server's private key.
///
/// Sequence numbers are handed out inside the transaction that stores the envelopes, from a
/// counter in `meta`, so they are gapless and strictly increasing per device across restarts;
/// the server can spot a missing scan by a gap.
public final class Spool: Sendable {
    public let path: String
    private let pool: DatabasePool

    public init(path: String) throws(SpoolError) {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try Self.migrator.migrate(pool)
        } catch {
            throw .open(path: path, detail: "\(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE envelope (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    body BLOB NOT NULL,
                    spooled_at_ns INTEGER NOT NULL
                );
                CREATE TABLE dead_letter (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    body BLOB NOT NULL,
                    spooled_at_ns INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    failed_at_ns INTEGER NOT NULL
                );
                CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                INSERT INTO meta (key, value) VALUES ('last_seq', 0);
                """)
        }
        m.registerMigration("v2-input-mark") { db in
            try db.execute(sql: """
                CREATE TABLE input_mark (
                    reader TEXT PRIMARY KEY,
                    boot_id TEXT NOT NULL,
                    length INTEGER NOT NULL,
                    digest BLOB NOT NULL
                );
                """)
        }
        return m
    }

    /// Stores one envelope per scan in one transaction. `seal` runs inside the transaction with
    /// the scan's sequence number; if anything throws, nothing is stored and no number is used.
    /// - Returns: the sequence numbers assigned, in order.
    @discardableResult
    public func append(_ scans: [Scan], nowNanos: Int64, mark: InputMark? = nil, seal: (Scan, UInt64) throws -> Envelope) throws(SpoolError) -> [UInt64] {
        guard !scans.isEmpty else { return [] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try pool.write { db in
                var seq = try UInt64(Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'last_seq'") ?? 0)
                var out: [UInt64] = []
                out.reserveCapacity(scans.count)
                let insert = try db.cachedStatement(sql: "INSERT INTO envelope (seq, id, body, spooled_at_ns) VALUES (?, ?, ?, ?)")
                for scan in scans {
                    seq += 1
                    let envelope = try seal(scan, seq)
                    try insert.execute(arguments: [Int64(seq), envelope.id, try encoder.encode(envelope), nowNanos])
                    out.append(seq)
                }
                try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'last_seq'", arguments: [Int64(seq)])
                if let mark {
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO input_mark (reader, boot_id, length, digest) VALUES (?, ?, ?, ?)",
                        arguments: [mark.reader, mark.bootID, mark.length, Data(mark.digest)])
                }
                return out
            }
        } catch {
            throw .write(path: path, detail: "\(error)")
        }
    }

    /// The input a reader committed but may not have consumed yet (see `InputMark`).
    public func inputMark(reader: String) throws(SpoolError) -> InputMark? {
        do {
            return try pool.read { db in
                try Row.fetchOne(db, sql: "SELECT boot_id, length, digest FROM input_mark WHERE reader = ?", arguments: [reader]).map {
                    InputMark(reader: reader, bootID: $0["boot_id"], length: $0["length"], digest: Array($0["digest"] as Data))
                }
            }
        } catch {
            throw .read(path: path, detail: "\(error)")
        }
    }

    /// Forgets a reader's input mark once its bytes are consumed. Not fsynced: it only has to
    /// survive the process, not the machine — after a reboot the pipe is empty anyway and the
    /// mark's boot id no longer matches.
    public func clearInputMark(reader: String) throws(SpoolError) {
        do {
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = OFF")
                defer { try? db.execute(sql: "PRAGMA synchronous = FULL") }
                try db.execute(sql: "DELETE FROM input_mark WHERE reader = ?", arguments: [reader])
            }
        } catch {
            throw .write(path: path, detail: "\(error)")
        }
    }

    /// The oldest envelopes, in sequence order, as stored JSON.
    public func peek(limit: Int) async throws(SpoolError) -> [SpooledEnvelope] {
        do {
            return try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT seq, id, body FROM envelope ORDER BY seq LIMIT ?", arguments: [limit]).map {
                    SpooledEnvelope(seq: UInt64($0["seq"] as Int64), id: $0["id"], body: Array(($0["body"] as Data)))
                }
            }
        } catch {
            throw .read(path: path, detail: "\(error)")
        }
    }

    /// Applies a forwarder plan: delivered envelopes leave, rejected ones move to dead letters.
    public func settle(remove: [String], deadLetter: [(id: String, reason: String)], nowNanos: Int64) async throws(SpoolError) {
        guard !remove.isEmpty || !deadLetter.isEmpty else { return }
        let letters = deadLetter.map { DeadLetterRequest(id: $0.id, reason: $0.reason) }
        do {
            try await pool.write { db in
                let delete = try db.cachedStatement(sql: "DELETE FROM envelope WHERE id = ?")
                for id in remove { try delete.execute(arguments: [id]) }
                for letter in letters {
                    try db.execute(sql: """
                        INSERT OR REPLACE INTO dead_letter (seq, id, body, spooled_at_ns, reason, failed_at_ns)
                        SELECT seq, id, body, spooled_at_ns, ?, ? FROM envelope WHERE id = ?
                        """, arguments: [letter.reason, nowNanos, letter.id])
                    try delete.execute(arguments: [letter.id])
                }
            }
        } catch {
            throw .write(path: path, detail: "\(error)")
        }
    }

    public func status() throws(SpoolError) -> SpoolStatus {
        do {
            return try pool.read { db in
                let row = try Row.fetchOne(db, sql: "SELECT count(*) AS n, min(spooled_at_ns) AS oldest FROM envelope")
                let dead = try Int.fetchOne(db, sql: "SELECT count(*) FROM dead_letter") ?? 0
                let last = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'last_seq'") ?? 0
                return SpoolStatus(depth: row?["n"] ?? 0, oldestSpooledAtNanos: row?["oldest"], deadLetters: dead, lastSeq: UInt64(last))
            }
        } catch {
            throw .read(path: path, detail: "\(error)")
        }
    }

    public func deadLetters() throws(SpoolError) -> [(id: String, seq: UInt64, reason: String)] {
        do {
            return try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT id, seq, reason FROM dead_letter ORDER BY seq").map {
                    (id: $0["id"], seq: UInt64($0["seq"] as Int64), reason: $0["reason"])
                }
            }
        } catch {
            throw .read(path: path, detail: "\(error)")
        }
    }
}

/// Which input bytes a reader has committed scans for, stored in the same transaction as the
/// envelopes. A reader that peeks (tee) commits first and consumes after; if the process dies
/// between the two, the next start finds the same bytes at the head of the pipe, recognises them
/// by length and an HMAC-SHA256 under a per-boot key (`InputMarkHasher`; a plain hash of a
/// short label could be reversed), and consumes them without spooling them twice.
public struct InputMark: Sendable, Equatable {
    public var reader: String
    /// /proc/sys/kernel/random/boot_id: a pipe's contents do not outlive a boot.
    public var bootID: String
    public var length: Int
    public var digest: [UInt8]

    public init(reader: String, bootID: String, length: Int, digest: [UInt8]) {
        self.reader = reader
        self.bootID = bootID
        self.length = length
        self.digest = digest
    }
}

struct DeadLetterRequest: Sendable {
    var id: String
    var reason: String
}

/// An envelope as the spool keeps it: its JSON, ready to be sent as is.
public struct SpooledEnvelope: Sendable, Equatable {
    public var seq: UInt64
    public var id: String
    public var body: [UInt8]
}

public struct SpoolStatus: Sendable, Equatable {
    public var depth: Int
    public var oldestSpooledAtNanos: Int64?
    public var deadLetters: Int
    public var lastSeq: UInt64
}

public enum SpoolError: Error, CustomStringConvertible {
    case open(path: String, detail: String)
    case write(path: String, detail: String)
    case read(path: String, detail: String)

    public var description: String {
        switch self {
        case .open(let path, let detail):
            return "spool \(path): cannot open (\(detail)); check that the directory exists and is writable by the service user, and that the disk is not full"
        case .write(let path, let detail):
            return "spool \(path): write failed (\(detail)); scans are held back until it succeeds — check free disk space"
        case .read(let path, let detail):
            return "spool \(path): read failed (\(detail))"
        }
    }
}
