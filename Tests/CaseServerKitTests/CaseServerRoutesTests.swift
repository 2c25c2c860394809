import CaseServerKit
import Crypto
import Foundation
import GatewayCore
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import XCTest

/// Every route of the server through `app.test(.router)` (no sockets), on a real store in a
/// temporary directory: the answers `serve` gives, errors included.
final class CaseServerRoutesTests: ServerTestCase {
    static let token = "staff-token-0123456789"
    static let now: Int64 = 1_700_000_000_000_000_000

    func app(staffToken: String?) throws -> (some ApplicationProtocol, SQLiteCaseStore) {
        let store = try SQLiteCaseStore(path: dir + "/cases.db")
        let receiver = receiver(store)
        let router = CaseServerRoutes.router(
            receiver: receiver,
            repository: store,
            catalog: CasePolicy.builtIn.catalog,
            staffToken: staffToken,
            clock: { Self.now },
            logger: Logger(label: "test")
        )
        return (Application(router: router), store)
    }

    func batch(seq: UInt64, subject: String) throws -> ByteBuffer {
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
        return ByteBuffer(bytes: try JSONEncoder().encode(EnvelopeBatch(envelopes: [sealed])))
    }

    func testHealthAnswersOk() async throws {
        let (app, _) = try app(staffToken: nil)
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/health", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(String(buffer: response.body), "ok\n")
            }
        }
    }

    func testASealedEnvelopeIsAcceptedThenAnsweredDuplicateAndItsCaseCanBeFollowed() async throws {
        let (app, store) = try app(staffToken: nil)
        let body = try batch(seq: 1, subject: "100234")
        let ref = try await app.test(.router) { client -> String in
            let first = try await client.execute(uri: "/v1/envelopes", method: .post, body: body) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "application/json")
                return try JSONDecoder().decode(EnvelopeResults.self, from: Data(response.body.readableBytesView))
            }
            XCTAssertEqual(first.results.map(\.status), [.accepted])
            let opened = try XCTUnwrap(first.results[0].case)
            XCTAssertTrue(opened.opened)
            XCTAssertEqual(first.results[0].guidance?.id, "builtin-subject-bystander")
            let again = try await client.execute(uri: "/v1/envelopes", method: .post, body: body) { response in
                try JSONDecoder().decode(EnvelopeResults.self, from: Data(response.body.readableBytesView))
            }
            XCTAssertEqual(again.results.map(\.status), [.duplicate])
            XCTAssertEqual(again.results[0].case?.ref, opened.ref)
            XCTAssertEqual(again.results[0].case?.opened, false)

            try await client.execute(uri: "/v1/cases/\(opened.ref)", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "application/json")
                let status = try JSONDecoder().decode(CaseStatus.self, from: Data(response.body.readableBytesView))
                XCTAssertEqual(status.ref, opened.ref)
                XCTAssertEqual(status.subject, "100234")
                XCTAssertEqual(status.openedAt, RFC3339.format(unixNanos: Self.now))
                XCTAssertEqual(
                    status.notes.map(\.text),
                    ["opened by a scan at term-1; no insurer on record for this object"]
                )
            }
            return opened.ref
        }
        let counters = try await store.counters()
        XCTAssertEqual(counters, EventCounters(events: 1, duplicates: 1, rejected: 0))
        let cases = try await store.cases()
        XCTAssertEqual(cases.map(\.ref), [ref])
    }

    func testBadBodiesAndUnknownCasesAreRefused() async throws {
        let (app, _) = try app(staffToken: Self.token)
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/envelopes", method: .post, body: ByteBuffer(string: "{\"nope\": 1}")) {
                response in
                XCTAssertEqual(response.status, .badRequest)
                XCTAssertEqual(response.headers[.contentType], "application/json")
                XCTAssertEqual(
                    String(buffer: response.body),
                    #"{"error":"body is not {\"envelopes\": [...]} of wire format v1"}"#
                )
            }
            try await client.execute(uri: "/v1/cases/RC-NOPE", method: .get) { response in
                XCTAssertEqual(response.status, .notFound)
                XCTAssertEqual(String(buffer: response.body), #"{"error":"no such case"}"#)
            }
            let auth: HTTPFields = [.authorization: "Bearer \(Self.token)"]
            try await client.execute(
                uri: "/v1/cases/RC-NOPE/progress",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: #"{"state": "closed"}"#)
            ) { response in
                XCTAssertEqual(response.status, .notFound)
                XCTAssertEqual(String(buffer: response.body), #"{"error":"no such case"}"#)
            }
        }
    }

    func testProgressIsOffWithoutAStaffToken() async throws {
        let (app, _) = try app(staffToken: nil)
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/v1/cases/RC-A/progress",
                method: .post,
                headers: [.authorization: "Bearer \(Self.token)"],
                body: ByteBuffer(string: #"{"state": "closed"}"#)
            ) { response in
                XCTAssertEqual(response.status, .forbidden)
                XCTAssertEqual(
                    String(buffer: response.body),
                    #"{"error":"progress over HTTP is off: start serve with --staff-token-file"}"#
                )
            }
        }
    }

    func testProgressWantsTheTokenAValidBodyAndAValidStateThenAnswersTheStatus() async throws {
        let (app, _) = try app(staffToken: Self.token)
        let body = try batch(seq: 1, subject: "100234")
        try await app.test(.router) { client in
            let ref = try await client.execute(uri: "/v1/envelopes", method: .post, body: body) { response in
                try XCTUnwrap(
                    try JSONDecoder().decode(EnvelopeResults.self, from: Data(response.body.readableBytesView)).results[
                        0
                    ].case?.ref
                )
            }
            let uri = "/v1/cases/\(ref)/progress"
            for headers: HTTPFields in [
                [:], [.authorization: "Bearer wrong-token-0123456789"], [.authorization: Self.token],
            ] {
                try await client.execute(
                    uri: uri,
                    method: .post,
                    headers: headers,
                    body: ByteBuffer(string: #"{"state": "closed"}"#)
                ) {
                    XCTAssertEqual($0.status, .unauthorized)
                    XCTAssertEqual(
                        String(buffer: $0.body),
                        #"{"error":"Authorization: Bearer <staff token> required"}"#
                    )
                }
            }
            let auth: HTTPFields = [.authorization: "Bearer \(Self.token)"]
            try await client.execute(uri: uri, method: .post, headers: auth, body: ByteBuffer(string: "state=closed")) {
                response in
                XCTAssertEqual(response.status, .badRequest)
                XCTAssertEqual(
                    String(buffer: response.body),
                    #"{"error":"body is not {\"state\": ..., \"note\": ..., \"insurer\"?: ...}"}"#
                )
            }
            try await client.execute(
                uri: uri,
                method: .post,
                headers: auth,
                body: ByteBuffer(string: #"{"state": "teleported"}"#)
            ) {
                XCTAssertEqual($0.status, .badRequest)
                let error = try JSONDecoder().decode([String: String].self, from: Data($0.body.readableBytesView))
                XCTAssertEqual(
                    error,
                    ["error": CaseProgressError.unknownState("teleported", valid: CaseStates.ofCase).description]
                )
            }
            try await client.execute(
                uri: uri,
                method: .post,
                headers: auth,
                body: ByteBuffer(string: #"{"state": "assessor_assigned", "note": "Assessor at 14:00"}"#)
            ) {
                XCTAssertEqual($0.status, .ok)
                XCTAssertEqual($0.headers[.contentType], "application/json")
                let status = try JSONDecoder().decode(CaseStatus.self, from: Data($0.body.readableBytesView))
                XCTAssertEqual(status.state, "assessor_assigned")
                XCTAssertEqual(status.notes.last?.text, "Assessor at 14:00")
                XCTAssertEqual(status.updatedAt, RFC3339.format(unixNanos: Self.now))
            }
        }
    }
}

extension CaseServerRoutesTests {
    /// A balancer's checks: alive, and ready once the store answers.
    func testHealthzAndReadyzAnswerForABalancer() async throws {
        let (app, _) = try app(staffToken: nil)
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { XCTAssertEqual($0.status, .ok) }
            try await client.execute(uri: "/readyz", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(String(buffer: response.body), #"{"ready":true}"#)
            }
        }
    }

    func testReadyzIsUnavailableWhenTheStoreIsNot() async throws {
        let store = try SQLiteCaseStore(path: dir + "/cases.db")
        let router = CaseServerRoutes.router(
            receiver: receiver(store),
            repository: UnreadyStore(),
            catalog: CasePolicy.builtIn.catalog,
            staffToken: nil,
            clock: { Self.now },
            logger: Logger(label: "test")
        )
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                XCTAssertEqual(response.status, .serviceUnavailable)
                XCTAssertTrue(
                    String(buffer: response.body).contains("cannot be reached"),
                    String(buffer: response.body)
                )
            }
            try await client.execute(uri: "/healthz", method: .get) { XCTAssertEqual($0.status, .ok) }
        }
    }
}

/// A store whose database is gone.
struct UnreadyStore: CaseRepository {
    func receive(
        _ events: [OpenedEvent],
        receivedAtNanos: Int64,
        rejected: Int,
        rules: CaseRules
    ) async throws
        -> [ReceivedEvent]
    { throw StoreError.unreachable("test") }
    func caseStatus(ref: String, catalog: GuidanceCatalog) async throws -> CaseStatus? { nil }
    func progress(ref: String, state: String, note: String, insurer: String?, nowNanos: Int64) async throws {}
    func cases() async throws -> [CaseSummary] { [] }
    func guidanceLinks() async throws -> [GuidanceLink] { [] }
    func events() async throws -> [StoredEvent] { [] }
    func latestHeartbeats() async throws -> [StoredEvent] { [] }
    func counters() async throws -> EventCounters { EventCounters(events: 0, duplicates: 0, rejected: 0) }
    func ready() async throws { throw StoreError.unreachable("test") }
    func caseChanges(sinceNanos: Int64, afterRef: String, limit: Int) async throws -> [CaseChange] { [] }
    func caseChange(ref: String) async throws -> CaseChange? { nil }
    func caseEvents(ref: String) async throws -> [StoredEvent] { [] }
    func events(receivedSinceNanos: Int64) async throws -> [StoredEvent] { [] }
    func promoteGuidanceLink(type: String, nowNanos: Int64) async throws -> Bool { false }
}
