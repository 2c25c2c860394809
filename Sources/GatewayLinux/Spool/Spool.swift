import Foundation
import GRDB
import GatewayCore
import GatewaySystem

/// The durable retry queue: a SQLite database in WAL mode holding sealed envelopes until the
/// case server has accepted them.
///
/// Durability: `journal_mode=WAL` with `synchronous=FULL`, so a commit has reached the disk (the
/// WAL is fsynced) before `append` returns and before the reader consumes the scan's bytes. A
/// kill -9 or a power loss after that cannot lose the scan. The database holds only sealed
/// envelopes and counters: nothing in it is readable without the case server's private key.
///
/// Every statement on the per-scan paths (append, input mark, peek, settle, status) is a
/// prepared statement kept per connection (`cachedStatement`): compiling them anew for every
/// scan costs more than running them (docs/performance.md).
///
/// Sequence numbers are handed out inside the transaction that stores the envelopes, from a
/// counter in `meta`, so they are gapless and strictly increasing per device across restarts;
/// the server can spot a missing scan by a gap.
public final class Spool: Sendable {
    public let path: String
    public let limits: SpoolLimits
    private let pool: DatabasePool

    public init(path: String, limits: SpoolLimits = .unlimited) throws(SpoolError) {
        self.path = path
        self.limits = limits
        SQLiteProcess.configure()
        var config = Configuration()
        config.busyMode = .timeout(10)
        // The spool is appended at one end and read at the other: a small page cache per
        // connection does (SQLite's default is 2 MiB each), and two readers — the forwarder and
        // a status query — are all that ever read at once.
        config.maximumReaderCount = 2
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -512")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            // Durability is set on the writer once the pool exists: GRDB turns WAL on after
            // `prepareDatabase` has run and sets its writer to `synchronous = NORMAL` then, under
            // which a commit survives a kill but not a power loss.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        } catch {
            throw .open(path: path, detail: "\(error)")
        }
        let superseded: Bool
        do {
            superseded = try pool.read { db in try Self.migrator.hasBeenSuperseded(db) }
        } catch {
            throw .open(path: path, detail: "\(error)")
        }
        // A spool written by a newer gatewayd (after a downgrade): its schema may mean things
        // this version does not know. Refuse rather than guess; the envelopes stay intact.
        if superseded { throw .newerSchema(path: path) }
        do {
            try Self.migrator.migrate(pool)
        } catch {
            throw .open(path: path, detail: "\(error)")
        }
    }

    /// The writer connection's `PRAGMA synchronous` (2 = FULL: every commit is fsynced).
    func writerSynchronous() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// The schema version: the migrations applied, in order (`gatewayd spool status`).
    public func schemaVersion() throws(SpoolError) -> [String] {
        do {
            return try pool.read { db in try Self.migrator.appliedMigrations(db) }
        } catch {
            throw .read(path: path, detail: "\(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(
                sql: """
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
                    """
            )
        }
        m.registerMigration("v2-input-mark") { db in
            try db.execute(
                sql: """
                    CREATE TABLE input_mark (
                        reader TEXT PRIMARY KEY,
                        boot_id TEXT NOT NULL,
                        length INTEGER NOT NULL,
                        digest BLOB NOT NULL
                    );
                    """
            )
        }
        // Counters kept in the same transactions as the rows they count, so bounds are checked
        // without a table scan per commit.
        m.registerMigration("v3-bounds") { db in
            try db.execute(
                sql: """
                    INSERT INTO meta (key, value) SELECT 'depth', count(*) FROM envelope;
                    INSERT INTO meta (key, value) SELECT 'bytes', coalesce(sum(length(body)), 0) FROM envelope;
                    INSERT INTO meta (key, value) VALUES ('dropped_total', 0);
                    """
            )
        }
        return m
    }

    static func counter(_ db: Database, _ key: String) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = ?"), arguments: [key]) ?? 0
    }

    static func add(_ db: Database, _ key: String, _ delta: Int) throws {
        guard delta != 0 else { return }
        try db.cachedStatement(sql: "UPDATE meta SET value = value + ? WHERE key = ?").execute(arguments: [delta, key])
    }

    /// Stores one envelope per scan in one transaction. `seal` runs inside the transaction with
    /// the scan's sequence number; if anything throws, nothing is stored and no number is used.
    /// At the bound, `limits.overflow` decides: `block` throws `.full` (nothing stored, the
    /// reader holds), `drop_oldest` deletes the oldest envelopes in the same transaction.
    @discardableResult
    public func append(
        _ scans: [Scan],
        nowNanos: Int64,
        mark: InputMark? = nil,
        seal: (Scan, UInt64) throws -> Envelope
    ) throws(SpoolError) -> AppendResult {
        try append(
            scans,
            nowNanos: nowNanos,
            mark: mark,
            prepareSlice: { slice, first in
                try slice.enumerated().map { i, scan in try seal(scan, first + UInt64(i)) }
            },
            seal: { $0 }
        )
    }

    /// Scans a transaction prepares and seals at a time. A reader's group commit is no larger
    /// (`ScanCommitter.maxScansPerCommit`), but `append` takes any number: working through
    /// more in slices keeps only one slice's events and envelopes in memory at once, still in
    /// one transaction.
    static let sliceLength = 256

    /// As `append(_:nowNanos:mark:seal:)` in steps, slice by slice: `prepareSlice` is given up
    /// to `sliceLength` scans in order and the first one's sequence number, and returns one
    /// value per scan, in order (what depends on the order: operator sessions, sequence; what
    /// does not, such as decoding, it may run on all cores first); then `seal` — the
    /// expensive, independent part (redaction, HPKE) — runs on all cores at once for the
    /// slice, still inside the transaction.
    @discardableResult
    public func append<P: Sendable>(
        _ scans: [Scan],
        nowNanos: Int64,
        mark: InputMark? = nil,
        prepareSlice: (ArraySlice<Scan>, UInt64) throws -> [P],
        seal: @escaping @Sendable (P) throws -> Envelope
    ) throws(SpoolError) -> AppendResult {
        guard !scans.isEmpty else { return AppendResult(seqs: [], dropped: nil) }
        let limits = self.limits
        do {
            return try pool.write { db in
                let last = try UInt64(Self.counter(db, "last_seq"))
                var seqs: [UInt64] = []
                seqs.reserveCapacity(scans.count)
                var dropped: AppendResult.Dropped?
                let insert = try db.cachedStatement(
                    sql: "INSERT INTO envelope (seq, id, body, spooled_at_ns) VALUES (?, ?, ?, ?)"
                )
                for start in stride(from: 0, to: scans.count, by: Self.sliceLength) {
                    let slice = scans[start..<min(scans.count, start + Self.sliceLength)]
                    let first = last + UInt64(start) + 1
                    let prepared = try prepareSlice(slice, first)
                    precondition(prepared.count == slice.count, "prepareSlice must prepare every scan")
                    let rows = try ParallelMap.map(prepared) { p -> (UInt64, String, Data) in
                        let envelope = try seal(p)
                        return (envelope.seq, envelope.id, Data(envelope.jsonBytes()))
                    }
                    precondition(rows.first?.0 == first, "seal must keep the sequence number prepare was given")
                    // Admitted slice by slice, against the counters as the slices before left
                    // them: a refusal anywhere rolls the whole group back, as before.
                    let addingBytes = rows.reduce(0) { $0 + $1.2.count }
                    let depth = try Self.counter(db, "depth")
                    let bytes = try Self.counter(db, "bytes")
                    switch limits.admit(depth: depth, bytes: bytes, adding: rows.count, addingBytes: addingBytes) {
                    case .store:
                        break
                    case .refuse:
                        throw SpoolFull(depth: depth, bytes: bytes)
                    case .dropOldestUntil(let maxEnvelopes, let maxBytes):
                        if let d = try Self.dropOldest(
                            db,
                            depth: depth,
                            bytes: bytes,
                            maxEnvelopes: maxEnvelopes,
                            maxBytes: maxBytes
                        ) {
                            dropped =
                                dropped.map {
                                    AppendResult.Dropped(
                                        count: $0.count + d.count,
                                        firstSeq: $0.firstSeq,
                                        lastSeq: d.lastSeq,
                                        total: d.total
                                    )
                                } ?? d
                        }
                    }
                    for (s, id, body) in rows {
                        try insert.execute(arguments: [Int64(s), id, body, nowNanos])
                    }
                    try Self.add(db, "depth", rows.count)
                    try Self.add(db, "bytes", addingBytes)
                    seqs += rows.map(\.0)
                }
                try db.cachedStatement(sql: "UPDATE meta SET value = ? WHERE key = 'last_seq'").execute(arguments: [
                    Int64(last + UInt64(scans.count))
                ])
                if let mark {
                    try db.cachedStatement(
                        sql: "INSERT OR REPLACE INTO input_mark (reader, boot_id, length, digest) VALUES (?, ?, ?, ?)"
                    )
                    .execute(arguments: [mark.reader, mark.bootID, mark.length, Data(mark.digest)])
                }
                return AppendResult(seqs: seqs, dropped: dropped)
            }
        } catch let full as SpoolFull {
            throw .full(path: path, depth: full.depth, bytes: full.bytes, limits: limits)
        } catch {
            throw .write(path: path, detail: "\(error)")
        }
    }

    private struct SpoolFull: Error {
        var depth: Int
        var bytes: Int
    }

    /// Deletes the oldest envelopes until at most `maxEnvelopes` of `maxBytes` remain.
    private static func dropOldest(
        _ db: Database,
        depth: Int,
        bytes: Int,
        maxEnvelopes: Int,
        maxBytes: Int
    ) throws -> AppendResult.Dropped? {
        var count = 0
        var freed = 0
        var first: UInt64?
        var last: UInt64 = 0
        let cursor = try Row.fetchCursor(db, sql: "SELECT seq, length(body) AS n FROM envelope ORDER BY seq")
        while depth - count > max(0, maxEnvelopes) || bytes - freed > max(0, maxBytes), let row = try cursor.next() {
            let s = UInt64(row["seq"] as Int64)
            first = first ?? s
            last = s
            count += 1
            freed += row["n"] as Int
        }
        guard let first else { return nil }
        try db.execute(sql: "DELETE FROM envelope WHERE seq <= ?", arguments: [Int64(last)])
        try add(db, "depth", -count)
        try add(db, "bytes", -freed)
        try add(db, "dropped_total", count)
        return AppendResult.Dropped(
            count: count,
            firstSeq: first,
            lastSeq: last,
            total: try counter(db, "dropped_total")
        )
    }

    /// The input a reader committed but may not have consumed yet (see `InputMark`).
    public func inputMark(reader: String) throws(SpoolError) -> InputMark? {
        do {
            return try pool.read { db in
                try Row.fetchOne(
                    db,
                    sql: "SELECT boot_id, length, digest FROM input_mark WHERE reader = ?",
                    arguments: [reader]
                ).map {
                    InputMark(
                        reader: reader,
                        bootID: $0["boot_id"],
                        length: $0["length"],
                        digest: Array($0["digest"] as Data)
                    )
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
                try db.cachedStatement(sql: "PRAGMA synchronous = OFF").execute()
                defer { try? db.cachedStatement(sql: "PRAGMA synchronous = FULL").execute() }
                try db.cachedStatement(sql: "DELETE FROM input_mark WHERE reader = ?").execute(arguments: [reader])
            }
        } catch {
            throw .write(path: path, detail: "\(error)")
        }
    }

    /// The oldest envelopes (after sequence number `afterSeq`), in sequence order, as stored JSON.
    public func peek(limit: Int, afterSeq: UInt64 = 0) async throws(SpoolError) -> [SpooledEnvelope] {
        do {
            return try await pool.read { db in
                try Row.fetchAll(
                    db.cachedStatement(sql: "SELECT seq, id, body FROM envelope WHERE seq > ? ORDER BY seq LIMIT ?"),
                    arguments: [Int64(afterSeq), limit]
                ).map {
                    SpooledEnvelope(seq: UInt64($0["seq"] as Int64), id: $0["id"], body: Array(($0["body"] as Data)))
                }
            }
        } catch {
            throw .read(path: path, detail: "\(error)")
        }
    }

    /// Applies a forwarder plan: delivered envelopes leave, rejected ones move to dead letters.
    /// - Returns: the spool's status once the plan is applied, read in the same transaction
    ///   (the forwarder publishes it as gauges; a separate read cost a second trip to the pool),
    ///   or read on its own when there is nothing to apply (a failed batch).
    @discardableResult
    public func settle(
        remove: [String],
        deadLetter: [(id: String, reason: String)],
        nowNanos: Int64
    ) async throws(SpoolError) -> SpoolStatus {
        let letters = deadLetter.map { DeadLetterRequest(id: $0.id, reason: $0.reason) }
        if remove.isEmpty && letters.isEmpty { return try status() }
        do {
            return try await pool.write { db in
                let delete = try db.cachedStatement(sql: "DELETE FROM envelope WHERE id = ? RETURNING length(body)")
                var count = 0
                var freed = 0
                func take(_ id: String) throws {
                    if let n = try Int.fetchOne(delete, arguments: [id]) {
                        count += 1
                        freed += n
                    }
                }
                for id in remove { try take(id) }
                for letter in letters {
                    try db.execute(
                        sql: """
                            INSERT OR REPLACE INTO dead_letter (seq, id, body, spooled_at_ns, reason, failed_at_ns)
                            SELECT seq, id, body, spooled_at_ns, ?, ? FROM envelope WHERE id = ?
                            """,
                        arguments: [letter.reason, nowNanos, letter.id]
                    )
                    try take(letter.id)
                }
                try Self.add(db, "depth", -count)
                try Self.add(db, "bytes", -freed)
                return try Self.status(db)
            }
        } catch {
            throw .write(path: path, detail: "\(error)")
        }
    }

    /// Envelopes (or dead letters) for `gatewayd spool list`, oldest first.
    public func list(dead: Bool, limit: Int) throws(SpoolError) -> [SpoolEntry] {
        do {
            return try pool.read { db in
                let sql =
                    dead
                    ? "SELECT seq, id, length(body) AS n, spooled_at_ns, reason, failed_at_ns, body FROM dead_letter ORDER BY seq LIMIT ?"
                    : "SELECT seq, id, length(body) AS n, spooled_at_ns, NULL AS reason, NULL AS failed_at_ns, body FROM envelope ORDER BY seq LIMIT ?"
                return try Row.fetchAll(db, sql: sql, arguments: [limit]).map { row in
                    let body = row["body"] as Data
                    let keyID = (try? JSONDecoder().decode(Envelope.self, from: body))?.keyID
                    return SpoolEntry(
                        seq: UInt64(row["seq"] as Int64),
                        id: row["id"],
                        bytes: row["n"],
                        spooledAtNanos: row["spooled_at_ns"],
                        keyID: keyID,
                        reason: row["reason"],
                        failedAtNanos: row["failed_at_ns"]
                    )
                }
            }
        } catch {
            throw .read(path: path, detail: "\(error)")
        }
    }

    /// Moves dead letters (all when `ids` is empty, else those with these envelope ids) back to the queue,
    /// for after the server-side cause is fixed (a device registered, a key added).
    /// - Returns: how many were moved.
    public func retryDead(ids: [String]) throws(SpoolError) -> Int {
        do {
            return try pool.write { db in
                let (filter, args) = Self.idFilter(ids)
                let n = try Int.fetchOne(db, sql: "SELECT count(*) FROM dead_letter" + filter, arguments: args) ?? 0
                let bytes =
                    try Int.fetchOne(
                        db,
                        sql: "SELECT coalesce(sum(length(body)), 0) FROM dead_letter" + filter,
                        arguments: args
                    ) ?? 0
                try db.execute(
                    sql:
                        "INSERT OR IGNORE INTO envelope (seq, id, body, spooled_at_ns) SELECT seq, id, body, spooled_at_ns FROM dead_letter"
                        + filter,
                    arguments: args
                )
                try db.execute(sql: "DELETE FROM dead_letter" + filter, arguments: args)
                try Self.add(db, "depth", n)
                try Self.add(db, "bytes", bytes)
                return n
            }
        } catch {
            throw .write(path: path, detail: "\(error)")
        }
    }

    /// `WHERE id IN (?, …)` for these ids, or nothing (all rows) when there are none.
    private static func idFilter(_ ids: [String]) -> (String, StatementArguments) {
        (ids.isEmpty ? "" : " WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ",")))", StatementArguments(ids))
    }

    /// Deletes dead letters (all, or those with these ids) for good. - Returns: how many.
    public func purgeDead(ids: [String]) throws(SpoolError) -> Int {
        do {
            return try pool.write { db in
                let (filter, args) = Self.idFilter(ids)
                try db.execute(sql: "DELETE FROM dead_letter" + filter, arguments: args)
                return db.changesCount
            }
        } catch {
            throw .write(path: path, detail: "\(error)")
        }
    }

    public func status() throws(SpoolError) -> SpoolStatus {
        do {
            return try pool.read { db in try Self.status(db) }
        } catch {
            throw .read(path: path, detail: "\(error)")
        }
    }

    /// `status()` for async callers: the read runs on GRDB's reader, not on the caller's thread.
    public func readStatus() async throws(SpoolError) -> SpoolStatus {
        do {
            return try await pool.read { db in try Self.status(db) }
        } catch {
            throw .read(path: path, detail: "\(error)")
        }
    }

    /// The counters, the oldest envelope's time and the dead letters in one statement. The
    /// oldest envelope is the one with the lowest seq: an index lookup, not a scan.
    static func status(_ db: Database) throws -> SpoolStatus {
        let row = try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT (SELECT value FROM meta WHERE key = 'depth'), (SELECT value FROM meta WHERE key = 'bytes'),
                           (SELECT value FROM meta WHERE key = 'last_seq'), (SELECT value FROM meta WHERE key = 'dropped_total'),
                           (SELECT spooled_at_ns FROM envelope ORDER BY seq LIMIT 1), (SELECT count(*) FROM dead_letter)
                    """
            )
        )!
        return SpoolStatus(
            depth: row[0] ?? 0,
            bytes: row[1] ?? 0,
            oldestSpooledAtNanos: row[4],
            deadLetters: row[5] ?? 0,
            lastSeq: UInt64(row[2] as Int64? ?? 0),
            droppedTotal: row[3] ?? 0
        )
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

struct DeadLetterRequest: Sendable {
    var id: String
    var reason: String
}
