import Foundation
import GRDB
import XCTest

@testable import CaseServerKit

/// The SQLite store's schema over time: a database made before insurers and notes had an
/// explicit order keeps the order it had (SQLite's rowid) once migrated.
final class SQLiteCaseStoreTests: XCTestCase {
    var dir: String!

    override func setUp() {
        dir = NSTemporaryDirectory() + "sqlite-store-test-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testACaseFromBeforeTheExplicitOrderKeepsItsInsurersAndNotesInTheOrderWritten() async throws {
        let path = dir + "/cases.db"
        let old = try DatabaseQueue(path: path)
        try SQLiteCaseMigrations.migrator().migrate(old, upTo: "v2-cases")
        try await old.write { db in
            try db.execute(
                sql: """
                    INSERT INTO risk_case (ref, subject, schema, device, state, final, guidance_id, opened_at_ns,
                                           updated_at_ns)
                        VALUES ('RC-OLD', '100234', 'acme', 'term-1', 'insurers_notified', 0, NULL, 5, 5);
                    INSERT INTO case_insurer (ref, insurer, name, state, updated_at_ns)
                        VALUES ('RC-OLD', 'zeta', 'Zeta', 'notified', 5), ('RC-OLD', 'alpha', 'Alpha', 'notified', 5);
                    INSERT INTO case_note (ref, at_ns, state, text, insurer)
                        VALUES ('RC-OLD', 5, 'opened', 'opened', NULL),
                               ('RC-OLD', 5, 'notified', 'Zeta notified', 'zeta'),
                               ('RC-OLD', 5, 'notified', 'Alpha notified', 'alpha'),
                               ('RC-OLD', 4, 'opened', 'earlier', NULL);
                    """
            )
        }
        try old.close()

        let store = try SQLiteCaseStore(path: path)
        try await store.progress(ref: "RC-OLD", state: "acknowledged", note: "ack", insurer: "alpha", nowNanos: 5)
        let found = try await store.caseStatus(ref: "RC-OLD", catalog: CasePolicy.builtIn.catalog)
        let status = try XCTUnwrap(found)
        XCTAssertEqual(status.insurers.map(\.id), ["zeta", "alpha"])
        XCTAssertEqual(status.insurers.map(\.state), ["notified", "acknowledged"])
        XCTAssertEqual(status.notes.map(\.text), ["earlier", "opened", "Zeta notified", "Alpha notified", "ack"])
        let cases = try await store.cases()
        XCTAssertEqual(cases.first?.insurers.map(\.id), ["zeta", "alpha"])
    }
}
