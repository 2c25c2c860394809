import Foundation
import GRDBSQLite
import GatewayCore
import GatewaySystem
import XCTest

@testable import GatewayLinux

final class SpoolTests: XCTestCase {
    var dir: String!

    override func setUp() {
        dir = NSTemporaryDirectory() + "spool-test-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func scan(_ s: String) -> Scan { Scan(readerID: "r", bytes: Array(s.utf8), wallNanos: 1, monotonicNanos: 1) }

    func fakeSeal(_ scan: Scan, _ seq: UInt64) -> Envelope { fakeEnvelope(scan, seq) }

    /// SQLite's allocation statistics (and the process-wide mutex they take on every malloc) are
    /// off once a spool has opened — or, if another test opened SQLite first, `configure` says so.
    func testASpoolsAllocationsAreNotCountedUnderTheGlobalMutex() throws {
        let configured = SQLiteProcess.configure()
        let spool = try Spool(path: dir + "/s.db")
        try spool.append((0..<50).map { scan("ACME-\($0)") }, nowNanos: 1, seal: fakeSeal)
        if configured {
            XCTAssertEqual(sqlite3_memory_used(), 0, "statistics off: nothing counted")
        } else {
            // SQLite was initialised before (another test's connection): the setting could not
            // be made, and the statistics show it.
            XCTAssertGreaterThan(sqlite3_memory_used(), 0)
        }
    }

    /// A commit waits for the disk (`synchronous = FULL`: the WAL is fsynced at every commit),
    /// from the first commit on, whatever committed before it. GRDB's pool sets its writer to
    /// NORMAL when it turns WAL on, after `prepareDatabase` has run; under NORMAL a commit
    /// survives a kill but not a power loss.
    func testEveryCommitWaitsForTheDiskFromTheFirstOn() throws {
        let spool = try Spool(path: dir + "/s.db")
        XCTAssertEqual(try spool.writerSynchronous(), 2, "FULL right after opening")
        try spool.append([scan("a")], nowNanos: 1, seal: fakeSeal)
        XCTAssertEqual(try spool.writerSynchronous(), 2, "FULL after a commit without an input mark")
        try spool.clearInputMark(reader: "r")
        XCTAssertEqual(try spool.writerSynchronous(), 2, "FULL again after the unsynced clear")
    }

    func testSequenceNumbersAreGaplessAcrossReopen() async throws {
        var spool: Spool? = try Spool(path: dir + "/s.db")
        XCTAssertEqual(try spool!.append([scan("a"), scan("b")], nowNanos: 1, seal: fakeSeal).seqs, [1, 2])
        spool = nil
        let reopened = try Spool(path: dir + "/s.db")
        XCTAssertEqual(try reopened.append([scan("c")], nowNanos: 1, seal: fakeSeal).seqs, [3])
        let batch = try await reopened.peek(limit: 10)
        XCTAssertEqual(batch.map(\.seq), [1, 2, 3])
        let first = try JSONDecoder().decode(Envelope.self, from: Data(batch[0].body))
        XCTAssertEqual(first.ct, "a")
    }

    func testAFailedSealStoresNothingAndUsesNoNumber() async throws {
        let spool = try Spool(path: dir + "/s.db")
        struct Boom: Error {}
        XCTAssertThrowsError(
            try spool.append([scan("a"), scan("b")], nowNanos: 1) { s, q in
                if q == 2 { throw Boom() }
                return fakeSeal(s, q)
            }
        )
        XCTAssertEqual(try spool.status().depth, 0)
        XCTAssertEqual(try spool.append([scan("c")], nowNanos: 1, seal: fakeSeal).seqs, [1])
    }

    /// A group longer than a slice is worked through slice by slice, in one transaction: the
    /// numbers run on across slices, every envelope is stored, and a seal failing in a later
    /// slice leaves nothing of the earlier ones (nor their numbers).
    func testAGroupOfSeveralSlicesIsOneTransaction() async throws {
        let spool = try Spool(path: dir + "/s.db")
        let n = Spool.sliceLength * 2 + 37
        struct Boom: Error {}
        XCTAssertThrowsError(
            try spool.append((0..<n).map { scan("x\($0)") }, nowNanos: 1) { s, q in
                if q == UInt64(Spool.sliceLength * 2 + 5) { throw Boom() }
                return fakeSeal(s, q)
            }
        )
        XCTAssertEqual(try spool.status().depth, 0)
        var slices: [(Int, UInt64)] = []
        let result = try spool.append(
            (0..<n).map { scan("ACME-\($0)") },
            nowNanos: 1,
            prepareSlice: { slice, first in
                slices.append((slice.count, first))
                return slice.enumerated().map { i, s in (s, first + UInt64(i)) }
            },
            seal: { p in fakeEnvelope(p.0, p.1) }
        )
        XCTAssertEqual(slices.map(\.0), [Spool.sliceLength, Spool.sliceLength, 37])
        XCTAssertEqual(slices.map(\.1), [1, UInt64(Spool.sliceLength) + 1, UInt64(Spool.sliceLength) * 2 + 1])
        XCTAssertEqual(result.seqs, (1...UInt64(n)).map { $0 })
        XCTAssertEqual(try spool.status().depth, n)
        let stored = try await spool.peek(limit: n)
        XCTAssertEqual(stored.map(\.seq), (1...UInt64(n)).map { $0 })
        let last = try JSONDecoder().decode(Envelope.self, from: Data(stored[n - 1].body))
        XCTAssertEqual(last.ct, "ACME-\(n - 1)")
        XCTAssertEqual(try spool.append([scan("next")], nowNanos: 1, seal: fakeSeal).seqs, [UInt64(n) + 1])
    }

    func testSettleRemovesDeliveredAndKeepsDeadLettersWithReason() async throws {
        let spool = try Spool(path: dir + "/s.db")
        try spool.append([scan("a"), scan("b"), scan("c")], nowNanos: 5, seal: fakeSeal)
        let after = try await spool.settle(
            remove: ["id-1"],
            deadLetter: [(id: "id-2", reason: "unknown_device: d")],
            nowNanos: 9
        )
        let left = try await spool.peek(limit: 10)
        XCTAssertEqual(left.map(\.id), ["id-3"])
        let status = try spool.status()
        XCTAssertEqual(status.depth, 1)
        XCTAssertEqual(status.deadLetters, 1)
        XCTAssertEqual(status.oldestSpooledAtNanos, 5)
        XCTAssertEqual(status.lastSeq, 3)
        XCTAssertEqual(after, status, "the status a settle returns is the spool's after it")
        XCTAssertEqual(try spool.deadLetters().map(\.reason), ["unknown_device: d"])
        let emptyPlan = try await spool.settle(remove: [], deadLetter: [], nowNanos: 10)
        XCTAssertEqual(emptyPlan, status, "a failed batch's empty plan changes nothing and still reports the status")
        let last = try await spool.settle(remove: ["id-3"], deadLetter: [], nowNanos: 11)
        XCTAssertEqual(last.depth, 0)
        XCTAssertEqual(last.bytes, 0)
        XCTAssertNil(last.oldestSpooledAtNanos)
    }

    func testPeekHonoursTheLimitInSequenceOrder() async throws {
        let spool = try Spool(path: dir + "/s.db")
        try spool.append((0..<25).map { scan("\($0)") }, nowNanos: 1, seal: fakeSeal)
        let batch = try await spool.peek(limit: 10)
        XCTAssertEqual(batch.map(\.seq), Array(1...10))
    }

    func testUnwritableDirectoryIsATypedErrorWithAFix() {
        XCTAssertThrowsError(try Spool(path: "/proc/nonexistent/spool.db")) {
            XCTAssertTrue("\($0)".contains("writable"), "\($0)")
        }
    }
}
