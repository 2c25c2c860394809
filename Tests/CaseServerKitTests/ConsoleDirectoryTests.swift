import CaseServerKit
import Foundation
import XCTest

/// `ConsoleDirectory`: accounts, the failed-sign-in lock, sessions, the per-address count and
/// the audit log, on SQLite here and on PostgreSQL in `PostgresConsoleDirectoryTests`.
class ConsoleDirectoryTests: ServerTestCase {
    let t0: Int64 = 1_700_000_000_000_000_000
    static let minute: Int64 = 60_000_000_000

    /// A store over this test's database (every call another instance over the same one).
    func store() async throws -> any CaseStore { try SQLiteCaseStore(path: dir + "/cases.db") }

    func account(_ name: String, role: ConsoleRole = .handler) -> ConsoleAccount {
        ConsoleAccount(
            name: name,
            passwordHash: "$2b$04$hash-of-\(name)",
            role: role,
            sites: ["depot-a", "depot-b"],
            insurer: role == .insurer ? "north" : nil,
            language: "zh-Hans",
            timeZone: "Asia/Shanghai"
        )
    }

    func testAnAccountIsStoredOnceByNameAndReadBack() async throws {
        let s = try await store()
        try await s.addAccount(account("li"), nowNanos: t0)
        try await s.addAccount(account("north-desk", role: .insurer), nowNanos: t0)
        var expected = account("li")
        expected.createdAtNanos = t0
        let li = try await s.account(named: "li")
        XCTAssertEqual(li, expected)
        let none = try await s.account(named: "nobody")
        XCTAssertNil(none)
        await XCTAssertThrowsAsync(try await s.addAccount(account("li"), nowNanos: t0)) {
            XCTAssertEqual($0 as? ConsoleDirectoryError, .nameTaken("li"))
        }
        await XCTAssertThrowsAsync(try await s.addAccount(account("li wang"), nowNanos: t0)) {
            XCTAssertEqual($0 as? ConsoleDirectoryError, .invalidName("li wang"))
        }
        let all = try await s.accounts()
        XCTAssertEqual(all.map(\.name), ["li", "north-desk"])
        XCTAssertEqual(all[1].insurer, "north")
        XCTAssertEqual(all[1].role, .insurer)
    }

    /// The tenth wrong password in a row locks the account once, for the policy's time, and
    /// the count starts again; a right password in between resets it.
    func testTheTenthFailureInARowLocksAndASuccessResetsTheCount() async throws {
        let s = try await store()
        try await s.addAccount(account("li"), nowNanos: t0)
        let lock = ConsoleLockPolicy(maxFailures: 10, lockNanos: 15 * Self.minute)
        for i in 1...9 {
            let locked = try await s.recordLoginFailure("li", lock: lock, nowNanos: t0 + Int64(i))
            XCTAssertNil(locked, "failure \(i)")
        }
        try await s.recordLoginSuccess("li", nowNanos: t0 + 10)
        let reset = try await s.account(named: "li")
        XCTAssertEqual(reset?.failedLogins, 0)
        for i in 1...9 {
            _ = try await s.recordLoginFailure("li", lock: lock, nowNanos: t0 + 100 + Int64(i))
        }
        let tenth = try await s.recordLoginFailure("li", lock: lock, nowNanos: t0 + 200)
        XCTAssertEqual(tenth, t0 + 200 + 15 * Self.minute)
        let locked = try await s.account(named: "li")
        XCTAssertEqual(locked?.isLocked(nowNanos: t0 + 201), true)
        XCTAssertEqual(locked?.isLocked(nowNanos: t0 + 200 + 15 * Self.minute), false)
        XCTAssertEqual(locked?.failedLogins, 0)
        let unknown = try await s.recordLoginFailure("nobody", lock: lock, nowNanos: t0)
        XCTAssertNil(unknown)
    }

    /// Disabling an account ends every session of it at once; a new password ends them too and
    /// lifts a lock.
    func testDisablingAndANewPasswordEndTheAccountsSessions() async throws {
        let s = try await store()
        try await s.addAccount(account("li"), nowNanos: t0)
        try await s.addAccount(account("wang"), nowNanos: t0)
        for (id, who) in [("s1", "li"), ("s2", "li"), ("s3", "wang")] {
            try await s.createSession(
                ConsoleSessionRecord(
                    id: id,
                    account: who,
                    csrfToken: "csrf-\(id)",
                    createdAtNanos: t0,
                    lastSeenNanos: t0
                )
            )
        }
        try await s.touchSession(id: "s1", nowNanos: t0 + 5)
        let touched = try await s.session(id: "s1")
        XCTAssertEqual(touched?.session.lastSeenNanos, t0 + 5)
        XCTAssertEqual(touched?.session.csrfToken, "csrf-s1")
        XCTAssertEqual(touched?.account.name, "li")

        try await s.disableAccount("li", nowNanos: t0 + 10)
        for id in ["s1", "s2"] {
            let ended = try await s.session(id: id)
            XCTAssertEqual(ended?.session.endedAtNanos, t0 + 10, id)
            XCTAssertEqual(ended?.session.endReason, "disabled", id)
            XCTAssertEqual(ended?.account.disabled, true)
        }
        let other = try await s.session(id: "s3")
        XCTAssertNil(other?.session.endedAtNanos, "another account's session goes on")
        await XCTAssertThrowsAsync(try await s.disableAccount("nobody", nowNanos: t0)) {
            XCTAssertEqual($0 as? ConsoleDirectoryError, .noSuchAccount("nobody"))
        }

        let lock = ConsoleLockPolicy(maxFailures: 1, lockNanos: Self.minute)
        _ = try await s.recordLoginFailure("wang", lock: lock, nowNanos: t0)
        try await s.setPasswordHash("$2b$04$new", for: "wang", nowNanos: t0 + 20)
        let wang = try await s.session(id: "s3")
        XCTAssertEqual(wang?.session.endReason, "password")
        XCTAssertEqual(wang?.account.passwordHash, "$2b$04$new")
        XCTAssertEqual(wang?.account.isLocked(nowNanos: t0 + 21), false)

        // Ending again keeps the first end.
        try await s.endSession(id: "s3", reason: "logout", nowNanos: t0 + 30)
        let again = try await s.session(id: "s3")
        XCTAssertEqual(again?.session.endedAtNanos, t0 + 20)
        let missing = try await s.session(id: "nope")
        XCTAssertNil(missing)

        // A new session forgets those unused for 30 days, and only those.
        let later = t0 + 3 + ConsoleSessionRecord.keptNanos
        try await s.createSession(
            ConsoleSessionRecord(
                id: "s4",
                account: "wang",
                csrfToken: "c4",
                createdAtNanos: later,
                lastSeenNanos: later
            )
        )
        let forgotten = try await s.session(id: "s2")
        XCTAssertNil(forgotten, "last seen at t0")
        let kept = try await s.session(id: "s1")
        XCTAssertNotNil(kept, "last seen at t0 + 5, within 30 days of the new one")
    }

    func testFailuresPerAddressAreCountedWithinTheWindowOnly() async throws {
        let s = try await store()
        let window = 15 * Self.minute
        for i in 0..<3 {
            let n = try await s.recordAddressFailure("addr-a", windowNanos: window, nowNanos: t0 + Int64(i))
            XCTAssertEqual(n, i + 1)
        }
        _ = try await s.recordAddressFailure("addr-b", windowNanos: window, nowNanos: t0)
        let a = try await s.addressFailures("addr-a", windowNanos: window, nowNanos: t0 + 10)
        XCTAssertEqual(a, 3)
        let later = try await s.addressFailures("addr-a", windowNanos: window, nowNanos: t0 + window + 1)
        XCTAssertEqual(later, 1, "two of the three are older than the window")
        let fresh = try await s.recordAddressFailure("addr-a", windowNanos: window, nowNanos: t0 + 2 * window)
        XCTAssertEqual(fresh, 1)
    }

    func testTheAuditLogIsReadNewestFirstInPages() async throws {
        let s = try await store()
        for i in 0..<5 {
            try await s.appendAudit(
                ConsoleAuditEntry(
                    atNanos: t0 + Int64(i),
                    actor: "cli",
                    action: "user-add",
                    object: "u\(i)",
                    detail: "d"
                )
            )
        }
        let first = try await s.auditLog(limit: 3, beforeID: nil)
        XCTAssertEqual(first.map(\.object), ["u4", "u3", "u2"])
        XCTAssertEqual(first[0].actor, "cli")
        XCTAssertEqual(first[0].atNanos, t0 + 4)
        let rest = try await s.auditLog(limit: 3, beforeID: first.last!.id)
        XCTAssertEqual(rest.map(\.object), ["u1", "u0"])
    }
}

final class PostgresConsoleDirectoryTests: ConsoleDirectoryTests {
    let postgres = PostgresTestStores()

    override func store() async throws -> any CaseStore { try await postgres.open() }

    override func tearDown() async throws {
        await postgres.close()
        try await super.tearDown()
    }

    /// Two instances counting the failures of one account at once: exactly one of the ten
    /// locks it (the UPDATE's row lock orders them).
    func testTwoInstancesCountingFailuresAtOnceLockOnce() async throws {
        let (a, b) = (try await store(), try await store())
        try await a.addAccount(account("li"), nowNanos: t0)
        let lock = ConsoleLockPolicy(maxFailures: 10, lockNanos: Self.minute)
        let results = try await withThrowingTaskGroup(of: Int64?.self) { group in
            for i in 0..<10 {
                let s = i.isMultiple(of: 2) ? a : b
                group.addTask { [t0] in try await s.recordLoginFailure("li", lock: lock, nowNanos: t0) }
            }
            var out: [Int64?] = []
            for try await r in group { out.append(r) }
            return out
        }
        XCTAssertEqual(results.compactMap { $0 }.count, 1)
    }
}
