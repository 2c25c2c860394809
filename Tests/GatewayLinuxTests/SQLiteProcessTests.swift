import Foundation
import GatewayCore
import GRDBSQLite
@testable import GatewayLinux
import XCTest

/// SQLite's allocation statistics (and the process-wide mutex they take on every malloc) are off
/// once the spool has opened — or, if another test opened SQLite first, `configure` says so.
final class SQLiteProcessTests: XCTestCase {
    func testASpoolsAllocationsAreNotCountedUnderTheGlobalMutex() throws {
        let dir = NSTemporaryDirectory() + "sqlite-process-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let configured = SQLiteProcess.configure()
        let spool = try Spool(path: dir + "/s.db")
        let scans = (0..<50).map { Scan(readerID: "r", bytes: Array("ACME-\($0)".utf8), wallNanos: 1, monotonicNanos: 1) }
        _ = try spool.append(scans, nowNanos: 1) { scan, seq in
            Envelope(id: "id-\(seq)", device: "d", seq: seq, sealedAt: "", suite: "s", keyID: "k", enc: "", ct: String(decoding: scan.bytes, as: UTF8.self))
        }
        if configured {
            XCTAssertEqual(sqlite3_memory_used(), 0, "statistics off: nothing counted")
        } else {
            // SQLite was initialised before (another test's connection): the setting could not
            // be made, and the statistics show it.
            XCTAssertGreaterThan(sqlite3_memory_used(), 0)
        }
    }
}
