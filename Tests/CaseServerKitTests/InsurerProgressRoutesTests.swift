import CaseServerKit
import Foundation
import GatewayCore
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import XCTest

/// `POST /v1/cases/{ref}/progress` with an insurer's token: its own state on its own cases
/// only; a case it is not on is answered as no case at all; the staff token keeps its rights.
final class InsurerProgressRoutesTests: ServerTestCase {
    static let staff = "staff-token-0123456789"
    static let north = "north-token-0123456789"
    static let harbour = "harbour-token-0123456789"
    static let policy = try! CasePolicy.parse(
        toml: """
            [[insurer]]
            id = "north"
            [[insurer]]
            id = "harbour"
            [[coverage]]
            subjects = ["1002*"]
            insurers = ["north", "harbour"]
            [[coverage]]
            subjects = ["2002*"]
            insurers = ["north"]
            """
    )

    func app(staffToken: String?) throws -> (some ApplicationProtocol, SQLiteCaseStore) {
        let store = try SQLiteCaseStore(path: dir + "/cases.db")
        let router = CaseServerRoutes.router(
            receiver: receiver(store, policy: Self.policy),
            repository: store,
            catalog: Self.policy.catalog,
            staffToken: staffToken,
            clock: { 1_700_000_000_000_000_000 },
            logger: Logger(label: "test"),
            insurers: InsurerCredentials(tokens: ["north": Self.north, "harbour": Self.harbour])
        )
        return (Application(router: router), store)
    }

    func open(_ store: SQLiteCaseStore, _ subject: String, seq: UInt64) async throws -> String {
        try await openCase(store, policy: Self.policy, subject: subject, seq: seq, nowNanos: 1)
    }

    static func post(
        _ client: some TestClientProtocol,
        _ ref: String,
        _ body: String,
        token: String
    ) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(
            uri: "/v1/cases/\(ref)/progress",
            method: .post,
            headers: [.authorization: "Bearer \(token)"],
            body: ByteBuffer(string: body)
        ) { ($0.status, String(buffer: $0.body)) }
    }

    func testAnInsurersTokenChangesOnlyItsOwnStateOnItsOwnCases() async throws {
        let (app, store) = try app(staffToken: Self.staff)
        let both = try await open(store, "100234", seq: 1)
        let northOnly = try await open(store, "200234", seq: 2)
        try await app.test(.router) { client in
            var (status, body) = try await Self.post(
                client,
                both,
                #"{"state": "acknowledged", "note": "Claim 118", "insurer": "harbour"}"#,
                token: Self.harbour
            )
            XCTAssertEqual(status, .ok, body)
            let answer = try JSONDecoder().decode(CaseStatus.self, from: Data(body.utf8))
            // The answer is harbour's part of the case only: north's row is not in it.
            XCTAssertEqual(answer.insurers.map(\.id), ["harbour"])
            XCTAssertEqual(answer.insurers.map(\.state), ["acknowledged"])

            // Another insurer's state, or the case's own: refused, and nothing changes.
            (status, body) = try await Self.post(
                client,
                both,
                #"{"state": "declined", "insurer": "north"}"#,
                token: Self.harbour
            )
            XCTAssertEqual(status, .forbidden)
            XCTAssertTrue(body.contains(#"send \"insurer\": \"harbour\""#), body)
            (status, _) = try await Self.post(client, both, #"{"state": "closed"}"#, token: Self.harbour)
            XCTAssertEqual(status, .forbidden)
            // A case it is not on, and one that does not exist, are answered alike.
            (status, body) = try await Self.post(
                client,
                northOnly,
                #"{"state": "acknowledged", "insurer": "harbour"}"#,
                token: Self.harbour
            )
            XCTAssertEqual(status, .notFound)
            XCTAssertEqual(body, #"{"error":"no such case"}"#)
            (status, body) = try await Self.post(
                client,
                northOnly,
                #"{"state": "teleported", "insurer": "harbour"}"#,
                token: Self.harbour
            )
            XCTAssertEqual(status, .notFound, "not 400: an invalid step must not tell that the case exists")
            (status, _) = try await Self.post(
                client,
                "RC-0000000000",
                #"{"state": "acknowledged", "insurer": "harbour"}"#,
                token: Self.harbour
            )
            XCTAssertEqual(status, .notFound)
            // Its own state must still be a valid one.
            (status, _) = try await Self.post(
                client,
                both,
                #"{"state": "teleported", "insurer": "harbour"}"#,
                token: Self.harbour
            )
            XCTAssertEqual(status, .badRequest)
            // North on its own case; the staff token on anything.
            (status, _) = try await Self.post(
                client,
                northOnly,
                #"{"state": "claim_opened", "insurer": "north"}"#,
                token: Self.north
            )
            XCTAssertEqual(status, .ok)
            (status, _) = try await Self.post(
                client,
                both,
                #"{"state": "declined", "insurer": "north"}"#,
                token: Self.staff
            )
            XCTAssertEqual(status, .ok)
            (status, _) = try await Self.post(client, both, #"{"state": "assessor_assigned"}"#, token: Self.staff)
            XCTAssertEqual(status, .ok)
            (status, body) = try await Self.post(client, both, #"{"state": "closed"}"#, token: "wrong-token-0123456789")
            XCTAssertEqual(status, .unauthorized)
            XCTAssertEqual(body, #"{"error":"Authorization: Bearer <staff or insurer token> required"}"#)
        }
        let status = try await store.caseStatus(ref: both, catalog: Self.policy.catalog)
        XCTAssertEqual(status?.state, "assessor_assigned")
        XCTAssertEqual(status?.insurers.map(\.state), ["declined", "acknowledged"])
        let other = try await store.caseStatus(ref: northOnly, catalog: Self.policy.catalog)
        XCTAssertEqual(other?.insurers.map(\.state), ["claim_opened"])
    }

    func testInsurerTokensWorkWithoutAStaffTokenWhichThenOpensNothing() async throws {
        let (app, store) = try app(staffToken: nil)
        let ref = try await open(store, "100234", seq: 1)
        try await app.test(.router) { client in
            var (status, _) = try await Self.post(
                client,
                ref,
                #"{"state": "acknowledged", "insurer": "north"}"#,
                token: Self.north
            )
            XCTAssertEqual(status, .ok)
            (status, _) = try await Self.post(client, ref, #"{"state": "closed"}"#, token: Self.staff)
            XCTAssertEqual(status, .unauthorized)
            (status, _) = try await Self.post(client, ref, #"{"state": "closed"}"#, token: "")
            XCTAssertEqual(status, .unauthorized)
        }
    }

    static func get(
        _ client: some TestClientProtocol,
        _ ref: String,
        token: String?
    ) async throws -> (
        HTTPResponse.Status, CaseStatus?
    ) {
        try await client.execute(
            uri: "/v1/cases/\(ref)",
            method: .get,
            headers: token.map { [.authorization: "Bearer \($0)"] } ?? [:]
        ) { ($0.status, try? JSONDecoder().decode(CaseStatus.self, from: Data(buffer: $0.body))) }
    }

    /// Another insurer's notes never reach an insurer, whatever it asks with: its token reads
    /// its own row and notes; without a token (as a terminal) no insurer's notes at all.
    func testACaseReadsAsItsReaderMayReadIt() async throws {
        let (app, store) = try app(staffToken: Self.staff)
        let both = try await open(store, "100234", seq: 1)
        let northOnly = try await open(store, "200234", seq: 2)
        try await app.test(.router) { client in
            for (insurer, token, note) in [
                ("north", Self.north, "North: assessor at 14:00"), ("harbour", Self.harbour, "Harbour: claim 118"),
            ] {
                let (status, _) = try await Self.post(
                    client,
                    both,
                    #"{"state": "acknowledged", "note": "\#(note)", "insurer": "\#(insurer)"}"#,
                    token: token
                )
                XCTAssertEqual(status, .ok)
            }
            var (status, answer) = try await Self.get(client, both, token: Self.harbour)
            XCTAssertEqual(status, .ok)
            XCTAssertEqual(answer?.insurers.map(\.id), ["harbour"])
            XCTAssertEqual(Set(answer?.notes.compactMap(\.insurer) ?? []), ["harbour"])
            XCTAssertEqual(answer?.notes.last?.text, "Harbour: claim 118")
            XCTAssertNil(answer?.messages)
            (status, answer) = try await Self.get(client, northOnly, token: Self.harbour)
            XCTAssertEqual(status, .notFound, "a case harbour is not on")
            (status, answer) = try await Self.get(client, both, token: nil)
            XCTAssertEqual(status, .ok)
            XCTAssertEqual(answer?.insurers.map(\.state), ["acknowledged", "acknowledged"], "every insurer's state")
            XCTAssertEqual(answer?.insurers.compactMap(\.note), [], "no insurer's note")
            XCTAssertFalse(answer?.notes.contains { $0.insurer != nil } ?? true, "no insurer's note")
            XCTAssertFalse(answer?.notes.isEmpty ?? true, "the desk's notes")
            (status, answer) = try await Self.get(client, both, token: Self.staff)
            XCTAssertEqual(Set(answer?.notes.compactMap(\.insurer) ?? []), ["north", "harbour"])
            (status, answer) = try await Self.get(client, both, token: "wrong-token-0123456789")
            XCTAssertEqual(status, .unauthorized)
        }
    }
}
