import Foundation
import GRDB
import GatewayCore
import XCTest

@testable import CaseServerKit

/// The outbox: rows written with the case change that caused them, claimed with a lease (a
/// killed dispatcher's rows come back after it, a lapsed claim settles nothing), rescheduled,
/// failed after the bound and retried by command. On SQLite here, on PostgreSQL in
/// `PostgresNotificationOutboxTests`.
class NotificationOutboxTests: ServerTestCase {
    static let toml = """
        [[insurer]]
        id = "north"
        name = "Northern Mutual"
        webhook_url = "https://n.example/h"
        secret_file = "n.secret"
        [[insurer]]
        id = "harbour"
        name = "Harbour Re"
        webhook_url = "http://127.0.0.1:9/h"
        secret_file = "h.secret"
        [[insurer]]
        id = "quiet"
        [[coverage]]
        subjects = ["1002*"]
        insurers = ["north", "harbour", "quiet"]
        """
    let policy = try! CasePolicy.parse(toml: toml)
    var seq: UInt64 = 0
    let s: Int64 = 1_000_000_000

    /// A store over this test's database (every call another instance over the same one).
    func makeStore() async throws -> any CaseStore { try SQLiteCaseStore(path: dir + "/cases.db") }

    func open(_ store: any CaseRepository, subject: String, nowNanos: Int64) async throws -> String {
        seq += 1
        return try await openCase(store, policy: policy, subject: subject, seq: seq, nowNanos: nowNanos)
    }

    func testACaseOpenedAndItsStateChangesAreWrittenForTheInsurersWithWebhooks() async throws {
        let store = try await makeStore()
        let ref = try await open(store, subject: "100234", nowNanos: 1 * s)
        var all = try await store.notifications(ref: nil)
        XCTAssertEqual(all.map(\.insurer), ["north", "harbour"], "quiet has no webhook")
        XCTAssertEqual(all.map(\.event), ["opened", "opened"])
        XCTAssertTrue(
            all.allSatisfy { $0.state == .pending && $0.attempts == 0 && $0.ref == ref && $0.atNanos == 1 * s }
        )

        // A later scan of the same object joins the case: nobody is told again.
        _ = try await open(store, subject: "100234", nowNanos: 2 * s)
        // An insurer's own step notifies nobody; the handler's change of the case notifies both.
        try await store.progress(ref: ref, state: "acknowledged", note: "", insurer: "north", nowNanos: 3 * s)
        try await store.progress(ref: ref, state: "assessor_assigned", note: "at 14:00", insurer: nil, nowNanos: 4 * s)
        all = try await store.notifications(ref: ref)
        XCTAssertEqual(all.map(\.event), ["opened", "opened", "state_changed", "state_changed"])
        XCTAssertEqual(Set(all.map(\.key)).count, 4)
        // A refused step writes nothing.
        do {
            try await store.progress(ref: ref, state: "teleported", note: "", insurer: nil, nowNanos: 5 * s)
            XCTFail("accepted")
        } catch {}
        let after = try await store.notifications(ref: nil)
        XCTAssertEqual(after.count, 4)
        let bodies = try await store.claimDue(nowNanos: 5 * s, limit: 10, leaseNanos: s).map(\.body)
        XCTAssertTrue(bodies[2].contains(#""state":"assessor_assigned""#), bodies[2])
        XCTAssertTrue(bodies[2].contains(#""subject":"100234""#))
    }

    func testAClaimIsALeaseAKilledDispatchersRowsComeBackAndALapsedClaimSettlesNothing() async throws {
        let store = try await makeStore()
        _ = try await open(store, subject: "100234", nowNanos: 1 * s)
        _ = try await open(store, subject: "100299", nowNanos: 1 * s)

        let first = try await store.claimDue(nowNanos: 2 * s, limit: 3, leaseNanos: 10 * s)
        XCTAssertEqual(first.count, 3)
        XCTAssertTrue(first.allSatisfy { $0.attempt == 1 })
        let second = try await store.claimDue(nowNanos: 3 * s, limit: 10, leaseNanos: 10 * s)
        XCTAssertEqual(second.count, 1, "claimed rows are not handed out again while the lease runs")
        XCTAssertTrue(Set(first.map(\.id)).isDisjoint(with: second.map(\.id)))
        let none = try await store.claimDue(nowNanos: 11 * s, limit: 10, leaseNanos: 10 * s)
        XCTAssertEqual(none, [])

        // The first dispatcher dies; after its lease the rows are claimed again, the same key,
        // the attempt counted.
        let again = try await store.claimDue(nowNanos: 12 * s, limit: 10, leaseNanos: 10 * s)
        XCTAssertEqual(again.map(\.id), first.map(\.id))
        XCTAssertEqual(again.map(\.key), first.map(\.key))
        XCTAssertTrue(again.allSatisfy { $0.attempt == 2 })

        // The dead claim settles nothing but a delivery (the insurer did accept it).
        try await store.reschedule(first[0], dueAtNanos: 100 * s, reason: "stale")
        try await store.markFailed(first[1], reason: "stale", nowNanos: 12 * s)
        try await store.markDelivered(first[2], nowNanos: 12 * s)
        var rows = try await store.notifications(ref: nil)
        let byKey = Dictionary(uniqueKeysWithValues: rows.map { ($0.key, $0) })
        XCTAssertEqual(byKey[first[0].key]?.state, .pending)
        XCTAssertNil(byKey[first[0].key]?.lastError)
        XCTAssertEqual(byKey[first[1].key]?.state, .pending)
        XCTAssertEqual(byKey[first[2].key]?.state, .delivered)

        // The live claim settles its rows.
        try await store.reschedule(again[0], dueAtNanos: 30 * s, reason: "HTTP 503")
        try await store.markFailed(again[1], reason: "HTTP 410; gave up after 2 attempts", nowNanos: 13 * s)
        try await store.markDelivered(again[2], nowNanos: 13 * s)
        rows = try await store.notifications(ref: nil)
        let r0 = try XCTUnwrap(rows.first { $0.key == again[0].key })
        XCTAssertEqual([r0.state.rawValue, r0.lastError, String(r0.atNanos)], ["pending", "HTTP 503", String(30 * s)])
        let r1 = try XCTUnwrap(rows.first { $0.key == again[1].key })
        XCTAssertEqual(r1.state, .failed)
        XCTAssertEqual(r1.lastError, "HTTP 410; gave up after 2 attempts")
        XCTAssertEqual(r1.attempts, 2)
        let notYet = try await store.claimDue(nowNanos: 29 * s, limit: 10, leaseNanos: 10 * s)
        XCTAssertEqual(notYet.map(\.id), [second[0].id], "rescheduled rows wait for their time")
        let due = try await store.claimDue(nowNanos: 30 * s, limit: 10, leaseNanos: s)
        XCTAssertEqual(due.map(\.id), [again[0].id])
        XCTAssertEqual(due[0].attempt, 3)
    }

    func testFailedNotificationsAreRetriedByCaseAndInsurerWithTheSameKey() async throws {
        let store = try await makeStore()
        let ref = try await open(store, subject: "100234", nowNanos: 1 * s)
        let other = try await open(store, subject: "100299", nowNanos: 1 * s)
        for n in try await store.claimDue(nowNanos: 2 * s, limit: 10, leaseNanos: s) {
            try await store.markFailed(n, reason: "gave up", nowNanos: 2 * s)
        }
        let none = try await store.retryFailed(ref: "RC-NONE", insurer: nil, nowNanos: 3 * s)
        XCTAssertEqual(none, 0)
        let one = try await store.retryFailed(ref: ref, insurer: "harbour", nowNanos: 3 * s)
        XCTAssertEqual(one, 1)
        let rest = try await store.retryFailed(ref: ref, insurer: nil, nowNanos: 3 * s)
        XCTAssertEqual(rest, 1)
        let rows = try await store.notifications(ref: ref)
        XCTAssertTrue(rows.allSatisfy { $0.state == .pending && $0.attempts == 0 && $0.atNanos == 3 * s })
        XCTAssertEqual(rows.map(\.lastError), ["gave up", "gave up"], "the last reason stays until the next attempt")
        let otherRows = try await store.notifications(ref: other)
        XCTAssertTrue(otherRows.allSatisfy { $0.state == .failed })
        let claimed = try await store.claimDue(nowNanos: 3 * s, limit: 10, leaseNanos: s)
        XCTAssertEqual(Set(claimed.map(\.key)), Set(rows.map(\.key)))
        XCTAssertTrue(claimed.allSatisfy { $0.attempt == 1 })
    }

    /// A database from before the outbox: its insurers were never sent anything, and are not
    /// when the case changes.
    func testACaseFromBeforeTheOutboxNotifiesNobody() async throws {
        let path = dir + "/cases.db"
        let old = try DatabaseQueue(path: path)
        try SQLiteCaseMigrations.migrator().migrate(old, upTo: "v3-explicit-order")
        try await old.write { db in
            try db.execute(
                sql: """
                    INSERT INTO risk_case (ref, subject, schema, device, state, final, guidance_id, opened_at_ns,
                                           updated_at_ns)
                        VALUES ('RC-OLD', '100234', 'acme', 'term-1', 'insurers_notified', 0, NULL, 5, 5);
                    INSERT INTO case_insurer (ref, insurer, name, state, updated_at_ns)
                        VALUES ('RC-OLD', 'north', 'Northern Mutual', 'notified', 5);
                    """
            )
        }
        try old.close()
        let store = try SQLiteCaseStore(path: path)
        try await store.progress(ref: "RC-OLD", state: "resolved", note: "", insurer: nil, nowNanos: 6)
        let rows = try await store.notifications(ref: nil)
        XCTAssertEqual(rows, [])
    }
}

extension ServerTestCase {
    /// A case opened for `subject` by the scan `seq` of term-1 at `nowNanos`; its reference.
    func openCase(
        _ store: any CaseRepository,
        policy: CasePolicy,
        subject: String,
        seq: UInt64,
        nowNanos: Int64
    ) async throws -> String {
        let scan = Scan(readerID: "r", bytes: Array("X".utf8), wallNanos: 0, monotonicNanos: 0)
        let event = CaptureEvent(
            id: "id-\(seq)",
            device: "term-1",
            seq: seq,
            scan: scan,
            tag: TagClassification(kind: .subject, schema: "acme", subject: subject)
        )
        let sealed = try EnvelopeSealer(device: "term-1", deviceKey: device, serverKey: server.publicKey).seal(
            event,
            sealedAtNanos: 0
        )
        let answer = try await receiver(store, policy: policy).receive(
            EnvelopeBatch(envelopes: [sealed]),
            nowNanos: nowNanos
        )
        return try XCTUnwrap(answer.results[0].case?.ref)
    }
}
