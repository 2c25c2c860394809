import Foundation
import GRDB
import GatewayCore
import XCTest

@testable import GatewayLinux

/// Bounds, overflow policies, counters, dead-letter tools and schema versions of the spool.
final class SpoolBoundsTests: XCTestCase {
    var dir: String!

    override func setUp() {
        dir = NSTemporaryDirectory() + "spool-bounds-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func scans(_ n: Int, from: Int = 0) -> [Scan] {
        (from..<from + n).map { Scan(readerID: "r", bytes: Array("scan-\($0)".utf8), wallNanos: 1, monotonicNanos: 1) }
    }

    func seal(_ scan: Scan, _ seq: UInt64) -> Envelope { fakeEnvelope(scan, seq) }

    /// The counters must always equal what a full count says.
    func assertCountersExact(_ spool: Spool, file: StaticString = #filePath, line: UInt = #line) async throws {
        let status = try spool.status()
        let all = try await spool.peek(limit: 1_000_000)
        XCTAssertEqual(status.depth, all.count, "depth", file: file, line: line)
        XCTAssertEqual(status.bytes, all.reduce(0) { $0 + $1.body.count }, "bytes", file: file, line: line)
    }

    func testBlockRefusesAtTheBoundStoresNothingAndUsesNoNumber() async throws {
        let spool = try Spool(
            path: dir + "/s.db",
            limits: SpoolLimits(maxEnvelopes: 5, maxBytes: 1 << 30, overflow: .block)
        )
        XCTAssertEqual(try spool.append(scans(5), nowNanos: 1, seal: seal).seqs, [1, 2, 3, 4, 5])
        XCTAssertThrowsError(try spool.append(scans(1, from: 5), nowNanos: 1, seal: seal)) { error in
            guard case .full(_, let depth, _, _) = error as? SpoolError else { return XCTFail("\(error)") }
            XCTAssertEqual(depth, 5)
            XCTAssertTrue("\(error)".contains("max_envelopes = 5"), "\(error)")
        }
        try await spool.settle(remove: ["id-1", "id-2"], deadLetter: [], nowNanos: 2)
        XCTAssertEqual(
            try spool.append(scans(2, from: 5), nowNanos: 1, seal: seal).seqs,
            [6, 7],
            "room again, and no number was burnt"
        )
        try await assertCountersExact(spool)
    }

    func testDropOldestMakesRoomCountsAndReportsTheSequenceNumbers() async throws {
        let spool = try Spool(
            path: dir + "/s.db",
            limits: SpoolLimits(maxEnvelopes: 4, maxBytes: 1 << 30, overflow: .dropOldest)
        )
        try spool.append(scans(4), nowNanos: 1, seal: seal)
        let r = try spool.append(scans(3, from: 4), nowNanos: 1, seal: seal)
        XCTAssertEqual(r.seqs, [5, 6, 7])
        XCTAssertEqual(r.dropped, AppendResult.Dropped(count: 3, firstSeq: 1, lastSeq: 3, total: 3))
        let left = try await spool.peek(limit: 10).map(\.seq)
        XCTAssertEqual(left, [4, 5, 6, 7])
        XCTAssertEqual(try spool.status().droppedTotal, 3)
        try await assertCountersExact(spool)
    }

    func testByteBoundCountsTooAndAHugeBatchStillEntersAnEmptySpool() async throws {
        let spool = try Spool(
            path: dir + "/s.db",
            limits: SpoolLimits(maxEnvelopes: 1000, maxBytes: 300, overflow: .block)
        )
        let big = try spool.append(scans(10), nowNanos: 1, seal: seal)
        XCTAssertEqual(big.seqs.count, 10, "an empty spool takes any one batch: a reader can never block forever")
        XCTAssertGreaterThan(try spool.status().bytes, 300)
        XCTAssertThrowsError(try spool.append(scans(1, from: 10), nowNanos: 1, seal: seal))
    }

    func testDeadLettersRetryAndPurgeKeepCountersExact() async throws {
        let spool = try Spool(path: dir + "/s.db")
        try spool.append(scans(4), nowNanos: 1, seal: seal)
        try await spool.settle(
            remove: ["id-1"],
            deadLetter: [("id-2", "unknown_device: d"), ("id-3", "malformed: x")],
            nowNanos: 5
        )
        try await assertCountersExact(spool)
        let dead = try spool.list(dead: true, limit: 10)
        XCTAssertEqual(dead.map(\.seq), [2, 3])
        XCTAssertEqual(dead.map(\.reason), ["unknown_device: d", "malformed: x"])
        XCTAssertEqual(dead.first?.keyID, "k")
        XCTAssertEqual(try spool.retryDead(ids: ["id-2"]), 1)
        let queued = try await spool.peek(limit: 10).map(\.seq)
        XCTAssertEqual(queued, [2, 4], "back in the queue in sequence order")
        try await assertCountersExact(spool)
        XCTAssertEqual(try spool.purgeDead(ids: []), 1)
        XCTAssertEqual(try spool.status().deadLetters, 0)
        XCTAssertEqual(try spool.retryDead(ids: []), 0)
        try await assertCountersExact(spool)
    }

    func testCountersSurviveReopenAndMigrationFromV2() async throws {
        // A v2 spool (before the counters) with two envelopes in it.
        let path = dir + "/old.db"
        do {
            let pool = try DatabasePool(path: path)
            var m = DatabaseMigrator()
            m.registerMigration("v1") { db in
                try db.execute(
                    sql: """
                        CREATE TABLE envelope (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, body BLOB NOT NULL, spooled_at_ns INTEGER NOT NULL);
                        CREATE TABLE dead_letter (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, body BLOB NOT NULL, spooled_at_ns INTEGER NOT NULL, reason TEXT NOT NULL, failed_at_ns INTEGER NOT NULL);
                        CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                        INSERT INTO meta (key, value) VALUES ('last_seq', 2);
                        INSERT INTO envelope VALUES (1, 'a', x'7b7d', 1), (2, 'b', x'7b7d7b', 1);
                        """
                )
            }
            m.registerMigration("v2-input-mark") { db in
                try db.execute(
                    sql:
                        "CREATE TABLE input_mark (reader TEXT PRIMARY KEY, boot_id TEXT NOT NULL, length INTEGER NOT NULL, digest BLOB NOT NULL)"
                )
            }
            try m.migrate(pool)
        }
        let spool = try Spool(path: path)
        XCTAssertEqual(try spool.schemaVersion(), ["v1", "v2-input-mark", "v3-bounds"])
        let s = try spool.status()
        XCTAssertEqual(s.depth, 2)
        XCTAssertEqual(s.bytes, 5)
        XCTAssertEqual(try spool.append(scans(1), nowNanos: 1, seal: seal).seqs, [3])
    }

    func testASpoolFromANewerVersionIsRefusedNotGuessedAt() throws {
        let path = dir + "/new.db"
        _ = try Spool(path: path)
        let pool = try DatabasePool(path: path)
        try pool.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-future')") }
        XCTAssertThrowsError(try Spool(path: path)) { error in
            guard case .newerSchema = error as? SpoolError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("newer gatewayd"))
        }
    }
}
