import Foundation
import GatewayCore
import XCTest

@testable import CaseServerKit

/// The store's reads for the console: the cases changed since a watermark (what every
/// instance's change feed asks), one case's row and events, a time window's events, and the
/// promotion of a "similar" guidance link. On SQLite here, on PostgreSQL in
/// `PostgresConsoleStoreReadsTests`, where a change made through one instance is read through
/// another.
class ConsoleStoreReadsTests: ServerTestCase {
    let policy = TestPolicies.twoInsurers
    var seq: UInt64 = 0
    let s: Int64 = 1_000_000_000

    /// A store over this test's database (every call another instance over the same one).
    func makeStore() async throws -> any CaseStore { try SQLiteCaseStore(path: dir + "/cases.db") }

    /// Stores one scan of `subject` (or a heartbeat) received at `nowNanos`; returns its case.
    @discardableResult
    func scan(
        _ store: any CaseRepository,
        subject: String?,
        nowNanos: Int64,
        operatorID: String? = nil,
        schema: String = "acme",
        heartbeat: Heartbeat? = nil
    ) async throws -> String? {
        seq += 1
        let raw = Scan(readerID: "r", bytes: Array("X".utf8), wallNanos: nowNanos, monotonicNanos: 0)
        var event =
            if let heartbeat {
                CaptureEvent.heartbeat(
                    id: "id-\(seq)",
                    device: "term-1",
                    seq: seq,
                    wallNanos: nowNanos,
                    monotonicNanos: 0,
                    status: heartbeat,
                    location: nil
                )
            } else {
                CaptureEvent(
                    id: "id-\(seq)",
                    device: "term-1",
                    seq: seq,
                    scan: raw,
                    tag: TagClassification(kind: .subject, schema: schema, subject: subject)
                )
            }
        event.operatorID = operatorID
        let sealed = try EnvelopeSealer(device: "term-1", deviceKey: device, serverKey: server.publicKey).seal(
            event,
            sealedAtNanos: 0
        )
        let answer = try await receiver(store, policy: policy).receive(
            EnvelopeBatch(envelopes: [sealed]),
            nowNanos: nowNanos
        )
        return answer.results[0].case?.ref
    }

    func testCaseChangesAreReadFromAWatermarkByStampAndReference() async throws {
        let store = try await makeStore()
        let a = try await scan(store, subject: "100201", nowNanos: 10 * s)!
        let b = try await scan(store, subject: "100202", nowNanos: 20 * s)!
        let c = try await scan(store, subject: "100203", nowNanos: 20 * s)!

        var all = try await store.caseChanges(sinceNanos: 0, afterRef: "", limit: 100)
        XCTAssertEqual(all.map(\.ref), [a] + [b, c].sorted())
        XCTAssertEqual(all[0].device, "term-1")
        XCTAssertEqual(all[0].subject, "100201")
        XCTAssertEqual(all[0].schema, "acme")
        XCTAssertEqual(all[0].state, "insurers_notified")
        XCTAssertFalse(all[0].final)
        XCTAssertEqual(all[0].openedAtNanos, 10 * s)
        XCTAssertEqual(all[0].updatedAtNanos, 10 * s)
        XCTAssertEqual(all[0].insurers.map(\.id), ["north", "harbour"])

        let since = try await store.caseChanges(sinceNanos: 20 * s, afterRef: "", limit: 100)
        XCTAssertEqual(since.map(\.ref), [b, c].sorted())
        // Continued after a full read: the same stamp, later references only.
        let first = [b, c].sorted()[0]
        let after = try await store.caseChanges(sinceNanos: 20 * s, afterRef: first, limit: 100)
        XCTAssertEqual(after.map(\.ref), [[b, c].sorted()[1]])
        let limited = try await store.caseChanges(sinceNanos: 0, afterRef: "", limit: 2)
        XCTAssertEqual(limited.count, 2)

        // A step moves the case to the end, with its new stamp; an insurer's step too.
        try await store.progress(ref: a, state: "assessor_assigned", note: "", insurer: nil, nowNanos: 30 * s)
        try await store.progress(ref: b, state: "acknowledged", note: "", insurer: "north", nowNanos: 31 * s)
        all = try await store.caseChanges(sinceNanos: 30 * s, afterRef: "", limit: 100)
        XCTAssertEqual(all.map(\.ref), [a, b])
        XCTAssertEqual(all.map(\.updatedAtNanos), [30 * s, 31 * s])
        XCTAssertEqual(all[0].state, "assessor_assigned")
        XCTAssertEqual(all[1].insurers.first { $0.id == "north" }?.state, "acknowledged")

        let one = try await store.caseChange(ref: a)
        XCTAssertEqual(one, all[0])
        let none = try await store.caseChange(ref: "NOPE")
        XCTAssertNil(none)
    }

    func testACasesEventsAndATimeWindowsEventsAreRead() async throws {
        let store = try await makeStore()
        let ref = try await scan(store, subject: "100234", nowNanos: 10 * s, operatorID: "OP-pn:1")!
        let other = try await scan(store, subject: "100299", nowNanos: 11 * s)!
        try await scan(store, subject: "100234", nowNanos: 12 * s)
        let hb = Heartbeat(
            spoolDepth: 3,
            oldestAgeS: nil,
            deadLetters: 0,
            readers: [],
            fix: nil,
            version: "1",
            uptimeS: 1,
            intervalS: 60
        )
        try await scan(store, subject: nil, nowNanos: 13 * s, heartbeat: hb)

        let events = try await store.caseEvents(ref: ref)
        XCTAssertEqual(events.map(\.seq), [1, 3])
        XCTAssertEqual(events.map(\.receivedAtNanos), [10 * s, 12 * s])
        XCTAssertTrue(events[0].eventJSON.contains("OP-pn:1"))
        let others = try await store.caseEvents(ref: other)
        XCTAssertEqual(others.map(\.seq), [2])
        let nothing = try await store.caseEvents(ref: "NOPE")
        XCTAssertEqual(nothing.count, 0)

        let window = try await store.events(receivedSinceNanos: 12 * s)
        XCTAssertEqual(window.map(\.seq), [3, 4])
    }

    func testASimilarLinkIsPromotedToConfiguredGuidanceAndThenStands() async throws {
        let store = try await makeStore()
        // No entry for a bystander's acme scan: it takes the operator's (similar).
        try await scan(store, subject: "100234", nowNanos: 10 * s)
        var links = try await store.guidanceLinks()
        let type = "class=subject schema=acme scanner=unidentified"
        XCTAssertEqual(links.first { $0.type == type }?.how, "similar")

        let promoted = try await store.promoteGuidanceLink(type: type, nowNanos: 20 * s)
        XCTAssertTrue(promoted)
        links = try await store.guidanceLinks()
        let link = try XCTUnwrap(links.first { $0.type == type })
        XCTAssertEqual(link.how, "configured")
        XCTAssertNil(link.similarTo)
        XCTAssertNil(link.shared)
        XCTAssertEqual(link.guidanceID, "acme-op")
        XCTAssertEqual(link.linkedAtNanos, 20 * s)
        // A configured link is not promoted again; an unknown type is not either.
        let again = try await store.promoteGuidanceLink(type: type, nowNanos: 30 * s)
        XCTAssertFalse(again)
        let unknown = try await store.promoteGuidanceLink(
            type: "class=subject schema=x scanner=operator",
            nowNanos: 30 * s
        )
        XCTAssertFalse(unknown)

        // The next scan of the type is answered with the guidance as configured.
        let r = receiver(store, policy: policy)
        seq += 1
        let raw = Scan(readerID: "r", bytes: Array("X".utf8), wallNanos: 0, monotonicNanos: 0)
        let e = CaptureEvent(
            id: "id-\(seq)",
            device: "term-1",
            seq: seq,
            scan: raw,
            tag: TagClassification(kind: .subject, schema: "acme", subject: "100777")
        )
        let sealed = try EnvelopeSealer(device: "term-1", deviceKey: device, serverKey: server.publicKey).seal(
            e,
            sealedAtNanos: 0
        )
        let answer = try await r.receive(EnvelopeBatch(envelopes: [sealed]), nowNanos: 40 * s)
        XCTAssertEqual(answer.results[0].guidance?.id, "acme-op")
        XCTAssertEqual(answer.results[0].guidance?.match, "configured")
    }
}

/// The console's reads on PostgreSQL, and a change made through one instance read through
/// another (what the change feed relies on when several instances share the database).
final class PostgresConsoleStoreReadsTests: ConsoleStoreReadsTests {
    let postgres = PostgresTestStores()

    override func makeStore() async throws -> any CaseStore { try await postgres.open() }

    override func tearDown() async throws {
        await postgres.close()
        try await super.tearDown()
    }

    func testAChangeThroughOneInstanceIsReadThroughAnother() async throws {
        let (a, b) = (try await makeStore(), try await makeStore())
        let ref = try await scan(a, subject: "100234", nowNanos: 10 * s)!
        var feed = CaseChangeFeed(watermarkNanos: 5 * s, overlapNanos: 2 * s)
        var read = feed.next
        var rows = try await b.caseChanges(sinceNanos: read.sinceNanos, afterRef: read.afterRef, limit: 10)
        XCTAssertEqual(feed.accept(rows, limit: 10).map(\.ref), [ref])
        try await a.progress(ref: ref, state: "resolved", note: "", insurer: nil, nowNanos: 11 * s)
        read = feed.next
        rows = try await b.caseChanges(sinceNanos: read.sinceNanos, afterRef: read.afterRef, limit: 10)
        let news = feed.accept(rows, limit: 10)
        XCTAssertEqual(news.map(\.state), ["resolved"])
        XCTAssertEqual(news.map(\.final), [true])
    }
}
