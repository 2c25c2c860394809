import GatewayCore
import XCTest

@testable import GatewayLinux

final class FeedbackHubTests: XCTestCase {
    func hub(tracked: Bool = true, signedIn: Bool = false) -> FeedbackHub {
        FeedbackHub(
            recent: 5,
            followCap: .seconds(30),
            live: .init(
                device: "t1",
                readers: { ["fifo0: open"] },
                operatorView: { .init(tracked: tracked, signedIn: signedIn, expiresInS: signedIn ? 600 : nil) },
                location: { nil }
            )
        )
    }

    func record(
        _ seq: UInt64,
        kind: TagClass = .subject,
        subject: String? = "100234",
        operatorID: String? = nil
    ) -> ScanRecord {
        var e = CaptureEvent(
            id: "id-\(seq)",
            device: "t1",
            seq: seq,
            scan: Scan(readerID: "r", bytes: [], wallNanos: 0, monotonicNanos: 0),
            tag: TagClassification(kind: kind, schema: "acme", subject: subject)
        )
        e.operatorID = operatorID
        return ScanRecord(sealed: e)
    }

    /// A batch's outcome reaches each of its scans: answered ones take the server's case and
    /// guidance, dead letters their reason, and the rest — no answer — wait again with one.
    func testABatchOutcomeReachesEachScan() {
        let h = hub()
        h.spooled([record(1), record(2), record(3)])
        h.sent(ids: ["id-1", "id-2", "id-3"])
        XCTAssertEqual(h.snapshot().scans.map(\.delivery), [.sent, .sent, .sent])
        let results = EnvelopeResults(results: [
            EnvelopeResult(
                id: "id-1",
                status: .accepted,
                case: CaseInfo(ref: "RC-1", state: "opened", opened: true),
                guidance: Guidance(id: "g", title: "Secure the site", text: "x")
            )
        ])
        h.delivered(
            ids: ["id-1", "id-2", "id-3"],
            outcome: .results(results),
            deadLetters: [(id: "id-2", reason: "malformed: x")],
            failure: nil,
            nowNanos: 1
        )
        let s = h.snapshot()
        XCTAssertEqual(s.scans.map(\.seq), [3, 2, 1])
        XCTAssertEqual(s.scans.map(\.delivery), [.spooled, .deadLettered, .accepted])
        XCTAssertEqual(s.scans[0].reason, "no answer for it; it goes again")
        XCTAssertEqual(s.scans[1].reason, "malformed: x")
        XCTAssertEqual(s.scans[2].guidance?.title, "Secure the site")
        XCTAssertEqual(s.cases.map(\.ref), ["RC-1"])
        h.sent(ids: ["id-3"])
        h.delivered(
            ids: ["id-3"],
            outcome: .transportFailure(reason: "connect timeout"),
            deadLetters: [],
            failure: "connect timeout",
            nowNanos: 2
        )
        XCTAssertEqual(h.snapshot().scans[0].delivery, .spooled)
        XCTAssertEqual(h.snapshot().scans[0].reason, "connect timeout")
    }

    /// The spool on the page is what the forwarder last read, with the scans committed since
    /// added to its depth; the circuit, posted after each answer, leaves the depth alone (the
    /// answer's settle has not landed yet); a change wakes the page.
    func testTheSpoolViewIsTheForwardersReadPlusScansSince() async {
        let h = hub()
        XCTAssertEqual(h.snapshot().spool, .init(depth: 0, deadLetters: 0, circuit: "starting"))
        h.forwarder(circuit: "open")
        h.spool(depth: 4, deadLetters: 1)
        h.spooled([record(1), record(2)])
        XCTAssertEqual(h.snapshot().spool, .init(depth: 6, deadLetters: 1, circuit: "open"))
        h.forwarder(circuit: "closed")
        XCTAssertEqual(h.snapshot().spool, .init(depth: 6, deadLetters: 1, circuit: "closed"))
        h.spool(depth: 0, deadLetters: 1)
        XCTAssertEqual(h.snapshot().spool, .init(depth: 0, deadLetters: 1, circuit: "closed"))

        let changes = h.changes()
        var it = changes.makeAsyncIterator()
        h.spool(depth: 0, deadLetters: 2)
        let woke: Void? = await it.next()
        XCTAssertNotNil(woke)
    }

    func testThePageShowsTheSignedInOperatorsPseudonymOnlyWhileSignedIn() {
        let out = hub(signedIn: false)
        out.spooled([record(1, kind: .operatorBadge, subject: "OP-pn:aa")])
        XCTAssertNil(out.snapshot().operator.id)
        let signedIn = hub(signedIn: true)
        signedIn.spooled([record(1, kind: .operatorBadge, subject: "OP-pn:aa"), record(2, operatorID: "OP-pn:aa")])
        XCTAssertEqual(
            signedIn.snapshot().operator,
            .init(tracked: true, signedIn: true, id: "OP-pn:aa", expiresInS: 600)
        )
    }

    func testChangesWakeSubscribersAndViewersAreCounted() async {
        let h = hub()
        let changes = h.changes()
        h.viewerJoined()
        XCTAssertEqual(h.viewers, 1)
        var it = changes.makeAsyncIterator()
        h.spooled([record(1)])
        let woke: Void? = await it.next()
        XCTAssertNotNil(woke)
        h.viewerLeft()
        h.viewerLeft()
        XCTAssertEqual(h.viewers, 0, "never below zero")
    }
}
