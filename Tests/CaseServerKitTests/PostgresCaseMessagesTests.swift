import Foundation
import GatewayCore
import PostgresNIO
import XCTest

@testable import CaseServerKit

/// `CaseMessagesTests` on PostgreSQL, and two instances filing two replies to one message at
/// once: one answers it.
final class PostgresCaseMessagesTests: CaseMessagesTests {
    let postgres = PostgresTestStores()

    override func makeStore() async throws -> any CaseStore { try await postgres.open() }

    override func filedUnder(_ store: any CaseStore, eventID: String) async throws -> String? {
        let pg = try XCTUnwrap(store as? PostgresCaseStore)
        return try await pg.client.query(
            "SELECT ref FROM case_event WHERE event_id = \(eventID)",
            logger: pg.logger
        ).collect().first?.decode(String.self)
    }

    override func tearDown() async throws {
        await postgres.close()
        try await super.tearDown()
    }

    func testTwoInstancesFilingRepliesToOneMessageAtOnceAnswerItOnce() async throws {
        let stores = [try await makeStore(), try await makeStore()]
        let ref = try await open(stores[0], at: 1 * s)
        let sent = try await stores[0].send(try question(), ref: ref, sentBy: "hana", nowNanos: 2 * s)
        let ea = try sealedReply(message: sent.id, ref: ref, answer: "Yes", id: "ra", at: 3 * s).envelope
        let eb = try sealedReply(message: sent.id, ref: ref, answer: "No", id: "rb", at: 3 * s).envelope
        let (ra, rb) = (receiver(stores[0]), receiver(stores[1]))
        let now = 3 * s
        async let a = ra.receive(EnvelopeBatch(envelopes: [ea]), nowNanos: now)
        async let b = rb.receive(EnvelopeBatch(envelopes: [eb]), nowNanos: now)
        let (aa, bb) = try await (a, b)
        XCTAssertEqual([aa.results[0].status, bb.results[0].status], [.accepted, .accepted])
        let listed = try await stores[1].messages(ref: ref)
        XCTAssertEqual(listed.count, 1)
        XCTAssertTrue(listed[0].answered)
        XCTAssertTrue(
            (listed[0].answer == "Yes" && listed[0].replyEvent == "ra")
                || (listed[0].answer == "No" && listed[0].replyEvent == "rb"),
            "\(listed)"
        )
        for id in ["ra", "rb"] {
            let filed = try await filedUnder(stores[0], eventID: id)
            XCTAssertEqual(filed, ref)
        }
    }
}
