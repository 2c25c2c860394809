import Crypto
import Foundation
import GatewayCore
import Logging
import XCTest

@testable import CaseServerKit

/// Cases through the real receiver and database: opened by a subject's first scan with every
/// covering insurer notified, joined by later scans, the same answer for a duplicate, guidance
/// linked per type (configured or similar, and recorded), progress with validation. The suite of
/// every `CaseRepository`: it runs on SQLite here and on PostgreSQL in `PostgresCaseBookTests`.
class CaseBookTests: ServerTestCase {
    var seq: UInt64 = 0

    /// A new, empty store of the backend under test.
    func makeStore() async throws -> any CaseRepository {
        try SQLiteCaseStore(path: dir + "/cases.db")
    }

    /// Fails unless the step is refused with `expected`.
    func assertRefused(
        _ step: @autoclosure () async throws -> Void,
        _ expected: CaseProgressError,
        file: StaticString = #filePath,
        line: UInt = #line
    ) async {
        do {
            try await step()
            XCTFail("progress accepted; expected \(expected)", file: file, line: line)
        } catch {
            XCTAssertEqual(error as? CaseProgressError, expected, file: file, line: line)
        }
    }

    let policy = try! CasePolicy.parse(
        toml: TestPolicies.twoInsurersTOML + """
            [[guidance]]
            id = "unknown-tag"
            class = "unknown"
            title = "Unknown label"
            text = "Scan the object's own label"
            """
    )

    func envelope(_ tag: TagClassification, operatorID: String? = nil) throws -> Envelope {
        seq += 1
        let scan = Scan(readerID: "r", bytes: Array("X".utf8), wallNanos: 0, monotonicNanos: 0)
        var event = CaptureEvent(id: "id-\(seq)", device: "term-1", seq: seq, scan: scan, tag: tag)
        event.operatorID = operatorID
        return try EnvelopeSealer(device: "term-1", deviceKey: device, serverKey: server.publicKey).seal(
            event,
            sealedAtNanos: 0
        )
    }

    func receiver(_ store: any CaseRepository) -> EnvelopeReceiver {
        receiver(store, policy: policy)
    }

    /// The server answers `accepted` only for what is on its disk: a gateway deletes what was
    /// accepted, so the store's commits are fsynced (`synchronous = FULL`), which GRDB's pool
    /// would otherwise leave at NORMAL (lost on a power loss).
    func testTheStoresCommitsWaitForTheDisk() async throws {
        let madestore = try await makeStore()
        let store = try XCTUnwrap(madestore as? SQLiteCaseStore)
        XCTAssertEqual(try store.writerSynchronous(), 2)
        let e = try envelope(TagClassification(kind: .subject, schema: "acme", subject: "100234"), operatorID: nil)
        _ = try await receiver(store).receive(EnvelopeBatch(envelopes: [e]), nowNanos: 1)
        XCTAssertEqual(try store.writerSynchronous(), 2)
    }

    func testASubjectsScanOpensACaseLaterScansJoinItAndADuplicateGetsTheSameAnswer() async throws {
        let store = try await makeStore()
        let r = receiver(store)
        let first = try envelope(
            TagClassification(kind: .subject, schema: "acme", subject: "100234"),
            operatorID: "OP-pn:1"
        )
        let a = try await r.receive(EnvelopeBatch(envelopes: [first]), nowNanos: 1_000_000_000).results[0]
        let opened = try XCTUnwrap(a.case)
        XCTAssertTrue(opened.opened)
        XCTAssertTrue(opened.ref.hasPrefix("RC-") && opened.ref.count == 13, opened.ref)
        XCTAssertEqual(opened.state, "insurers_notified")
        XCTAssertEqual(opened.insurers.map(\.id), ["north", "harbour"])
        XCTAssertEqual(opened.insurers.map(\.state), ["notified", "notified"])
        XCTAssertEqual(a.guidance?.id, "acme-op")
        XCTAssertEqual(a.guidance?.match, "configured")

        // The same object again, by a bystander: the open case, and guidance from a similar type.
        let second = try await r.receive(
            EnvelopeBatch(envelopes: [
                try envelope(TagClassification(kind: .subject, schema: "acme", subject: "100234"))
            ]),
            nowNanos: 2_000_000_000
        ).results[0]
        XCTAssertEqual(second.case?.ref, opened.ref)
        XCTAssertEqual(second.case?.opened, false)
        XCTAssertEqual(second.guidance?.id, "acme-op")
        XCTAssertEqual(second.guidance?.match, "similar")
        XCTAssertEqual(second.guidance?.similarTo, "class=subject schema=acme scanner=operator")

        let again = try await r.receive(EnvelopeBatch(envelopes: [first]), nowNanos: 3_000_000_000).results[0]
        XCTAssertEqual(again.status, .duplicate)
        XCTAssertEqual(again.case?.ref, opened.ref)
        XCTAssertEqual(again.guidance?.id, "acme-op")

        // Another object: its own case, no insurer on record; an unknown tag: no case, its guidance.
        let other = try await r.receive(
            EnvelopeBatch(envelopes: [
                try envelope(TagClassification(kind: .subject, schema: "acme", subject: "900001")),
                try envelope(.unknown),
            ]),
            nowNanos: 4_000_000_000
        ).results
        XCTAssertNotEqual(other[0].case?.ref, opened.ref)
        XCTAssertEqual(other[0].case?.state, "opened")
        XCTAssertEqual(other[0].case?.insurers, [])
        XCTAssertNil(other[1].case)
        XCTAssertEqual(other[1].guidance?.id, "unknown-tag")

        let links = try await store.guidanceLinks()
        XCTAssertEqual(
            links.map(\.type),
            [
                "class=subject schema=acme scanner=operator", "class=subject schema=acme scanner=unidentified",
                "class=unknown schema=- scanner=unidentified",
            ]
        )
        XCTAssertEqual(links.map(\.how), ["configured", "similar", "configured"])
        XCTAssertEqual(links[1].shared, "class,schema")
        XCTAssertEqual(links[1].similarTo, "class=subject schema=acme scanner=operator")

        let found = try await store.caseStatus(ref: opened.ref, catalog: policy.catalog)
        let status = try XCTUnwrap(found)
        XCTAssertEqual(status.subject, "100234")
        XCTAssertEqual(
            status.notes.map(\.text),
            [
                "opened by a scan at term-1", "Northern Mutual notified", "Harbour Re notified",
                "scanned again at term-1",
            ]
        )
        XCTAssertFalse(status.final)
        XCTAssertEqual(
            status.updatedAt,
            RFC3339.format(unixNanos: 2_000_000_000),
            "a scan joining the case changes it (the console shows it); a duplicate does not"
        )
        XCTAssertEqual(status.guidance?.id, "acme-op")
        let loneFound = try await store.caseStatus(ref: XCTUnwrap(other[0].case?.ref), catalog: policy.catalog)
        let lone = try XCTUnwrap(loneFound)
        XCTAssertEqual(lone.notes.map(\.text), ["opened by a scan at term-1; no insurer on record for this object"])
    }

    func testProgressOfTheCaseAndOfEachInsurerIsValidatedAndRecorded() async throws {
        let store = try await makeStore()
        let res = try await receiver(store).receive(
            EnvelopeBatch(envelopes: [
                try envelope(TagClassification(kind: .subject, schema: "acme", subject: "100277"))
            ]),
            nowNanos: 1
        ).results[0]
        let ref = try XCTUnwrap(res.case?.ref)
        try await store.progress(
            ref: ref,
            state: "assessor_assigned",
            note: "Assessor at 14:00",
            insurer: nil,
            nowNanos: 2
        )
        try await store.progress(ref: ref, state: "acknowledged", note: "Claim 118", insurer: "harbour", nowNanos: 3)
        await assertRefused(
            try await store.progress(ref: ref, state: "teleported", note: "", insurer: nil, nowNanos: 4),
            .unknownState("teleported", valid: CaseStates.ofCase)
        )
        await assertRefused(
            try await store.progress(ref: ref, state: "acknowledged", note: "", insurer: "ghost", nowNanos: 4),
            .noSuchInsurer("ghost", onCase: ["north", "harbour"])
        )
        await assertRefused(
            try await store.progress(ref: "RC-NOPE", state: "closed", note: "", insurer: nil, nowNanos: 4),
            .noSuchCase("RC-NOPE")
        )
        var found = try await store.caseStatus(ref: ref, catalog: policy.catalog)
        var status = try XCTUnwrap(found)
        XCTAssertEqual(status.state, "assessor_assigned")
        XCTAssertEqual(status.insurers.map { "\($0.id):\($0.state)" }, ["north:notified", "harbour:acknowledged"])
        XCTAssertEqual(status.insurers[1].note, "Claim 118")
        XCTAssertEqual(status.notes.suffix(2).map(\.text), ["Assessor at 14:00", "Claim 118"])
        try await store.progress(ref: ref, state: "resolved", note: "Repaired", insurer: nil, nowNanos: 5)
        found = try await store.caseStatus(ref: ref, catalog: policy.catalog)
        status = try XCTUnwrap(found)
        XCTAssertTrue(status.final)
        await assertRefused(
            try await store.progress(ref: ref, state: "assessor_on_site", note: "", insurer: nil, nowNanos: 6),
            .caseClosed(ref)
        )
        // A resolved case is not joined: the next scan of the object opens a new one.
        let next = try await receiver(store).receive(
            EnvelopeBatch(envelopes: [
                try envelope(TagClassification(kind: .subject, schema: "acme", subject: "100277"))
            ]),
            nowNanos: 7
        ).results[0]
        XCTAssertNotEqual(next.case?.ref, ref)
        XCTAssertEqual(next.case?.opened, true)
    }

    /// `case-server terminals` reads each device's latest heartbeat from the store, not every event.
    func testTheLatestHeartbeatOfEachDeviceIsReadFromTheStore() async throws {
        let store = try await makeStore()
        let rules = CaseRules(policy: policy)
        func beat(_ id: String, _ device: String, _ seq: UInt64) -> OpenedEvent {
            OpenedEvent(
                header: EventHeader(id: id, device: device, seq: seq, kind: "heartbeat"),
                json: #"{"id":"\#(id)","device":"\#(device)","seq":\#(seq),"kind":"heartbeat"}"#
            )
        }
        let scan = OpenedEvent(
            header: EventHeader(id: "s1", device: "term-1", seq: 9, tag: .unknown),
            json: #"{"id":"s1","device":"term-1","seq":9}"#
        )
        _ = try await store.receive(
            [beat("a1", "term-1", 1), beat("b1", "term-2", 1)],
            receivedAtNanos: 1,
            rejected: 0,
            rules: rules
        )
        _ = try await store.receive([beat("a2", "term-1", 2), scan], receivedAtNanos: 2, rejected: 0, rules: rules)
        let latest = try await store.latestHeartbeats()
        XCTAssertEqual(latest.map(\.id), ["a2", "b1"])
        XCTAssertEqual(latest.map(\.receivedAtNanos), [2, 1])
    }
}
