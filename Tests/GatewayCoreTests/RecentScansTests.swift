import GatewayCore
import XCTest

final class RecentScansTests: XCTestCase {
    let s: UInt64 = 1_000_000_000

    func record(_ seq: UInt64, subject: String? = "100234") -> ScanRecord {
        let scan = Scan(
            readerID: "fifo0",
            bytes: Array("ACME-\(seq)".utf8),
            wallNanos: 1_800_000_000_000_000_000,
            monotonicNanos: 1
        )
        return ScanRecord(
            sealed: CaptureEvent(
                id: "id-\(seq)",
                device: "t",
                seq: seq,
                scan: scan,
                tag: TagClassification(kind: .subject, schema: "acme", subject: subject)
            )
        )
    }

    func caseInfo(_ ref: String, state: String = "insurers_notified") -> CaseInfo {
        CaseInfo(
            ref: ref,
            state: state,
            opened: true,
            insurers: [InsurerStatus(id: "north", name: "N", state: "notified", updatedAt: "t")]
        )
    }

    func status(_ ref: String, state: String, final: Bool = false) -> CaseStatus {
        CaseStatus(
            ref: ref,
            state: state,
            final: final,
            subject: "100234",
            schema: "acme",
            openedAt: "t",
            updatedAt: "t",
            guidance: Guidance(id: "g", title: "T", text: "x"),
            insurers: [],
            notes: [CaseNote(at: "t", state: state, text: "n")]
        )
    }

    /// The schedule in CaseFollowPolicy's doc comment.
    func testTheFollowScheduleIsTheDocumentedOne() {
        XCTAssertEqual(
            (0...6).map { CaseFollowPolicy.delay(unchangedLooks: $0, failed: false) },
            [.seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30), .seconds(30)]
        )
        XCTAssertEqual(CaseFollowPolicy.delay(unchangedLooks: 0, failed: true), .seconds(5))
        XCTAssertEqual(CaseFollowPolicy.delay(unchangedLooks: 3, failed: true), .seconds(16))
        XCTAssertEqual(CaseFollowPolicy.delay(unchangedLooks: 100, failed: false, cap: .seconds(60)), .seconds(60))
    }

    func testDeliveryStatesFollowWhatHappenedToEachEnvelope() {
        var r = RecentScans(capacity: 3)
        r.spooled([record(1), record(2)])
        XCTAssertEqual(r.scans.map(\.seq), [2, 1], "newest first")
        XCTAssertEqual(r.scans.map(\.delivery), [.spooled, .spooled])
        r.sent(ids: ["id-1", "id-2"])
        XCTAssertEqual(r.scans.map(\.delivery), [.sent, .sent])
        r.failed(ids: ["id-1", "id-2"], reason: "connect timeout")
        XCTAssertEqual(r.scans.map(\.delivery), [.spooled, .spooled])
        XCTAssertEqual(r.scans[0].reason, "connect timeout")
        r.sent(ids: ["id-1", "id-2"])
        r.answered(
            [
                EnvelopeResult(
                    id: "id-1",
                    status: .accepted,
                    case: caseInfo("RC-1"),
                    guidance: Guidance(id: "g", title: "Secure", text: "x")
                ),
                EnvelopeResult(id: "id-2", status: .rejected, reason: "unknown_device: t"),
            ],
            nowNanos: 10 * s
        )
        XCTAssertEqual(r.scans.map(\.delivery), [.deadLettered, .accepted])
        XCTAssertEqual(r.scans[0].reason, "unknown_device: t")
        XCTAssertNil(r.scans[1].reason, "a delivered scan has no reason left")
        XCTAssertEqual(r.scans[1].caseRef, "RC-1")
        XCTAssertEqual(r.scans[1].guidance?.title, "Secure")
        // Only `capacity` scans are kept; a case no shown scan refers to is no longer followed.
        r.spooled([record(3), record(4), record(5)])
        XCTAssertEqual(r.scans.map(\.seq), [5, 4, 3])
        XCTAssertEqual(r.cases.count, 0)
    }

    func testABurstKeepsItsNewestScansWhateverTheOrderItArrivesIn() {
        var r = RecentScans(capacity: 3)
        r.spooled([record(1)])
        r.spooled((2...1001).map { record(UInt64($0)) }.shuffled())
        XCTAssertEqual(r.scans.map(\.seq), [1001, 1000, 999])
        // Numbers with gaps (not one commit's): still the newest three.
        r.spooled([record(2000), record(1500), record(3000), record(1200), record(2500)].shuffled())
        XCTAssertEqual(r.scans.map(\.seq), [3000, 2500, 2000])
    }

    func testCasesAreLookedAtOnTheScheduleUntilFinal() {
        var r = RecentScans()
        r.spooled([record(1)])
        r.answered([EnvelopeResult(id: "id-1", status: .accepted, case: caseInfo("RC-1"))], nowNanos: 100 * s)
        XCTAssertEqual(r.casesDue(nowNanos: 101 * s), [])
        XCTAssertEqual(r.nextLookNanos, 102 * s)
        XCTAssertEqual(r.casesDue(nowNanos: 102 * s), ["RC-1"])
        XCTAssertTrue(r.looked(status("RC-1", state: "insurers_notified"), nowNanos: 102 * s), "first look: new")
        XCTAssertEqual(r.nextLookNanos, 104 * s)
        XCTAssertFalse(r.looked(status("RC-1", state: "insurers_notified"), nowNanos: 104 * s))
        XCTAssertEqual(r.nextLookNanos, 108 * s, "unchanged: twice as long")
        r.lookFailed(ref: "RC-1", nowNanos: 108 * s)
        XCTAssertEqual(r.nextLookNanos, 116 * s)
        XCTAssertTrue(r.looked(status("RC-1", state: "assessor_assigned"), nowNanos: 116 * s))
        XCTAssertEqual(r.nextLookNanos, 118 * s, "a change: soon again")
        XCTAssertEqual(r.cases["RC-1"]?.info.state, "assessor_assigned")
        XCTAssertEqual(KioskState.cases(of: r).map(\.state), ["assessor_assigned"])
        r.looked(status("RC-1", state: "resolved", final: true), nowNanos: 118 * s)
        XCTAssertNil(r.nextLookNanos, "a final case is not looked at again")
        XCTAssertEqual(r.casesDue(nowNanos: 1000 * s), [])
        // A later scan of the same object that joins it shows the same case once.
        r.spooled([record(2)])
        r.answered(
            [
                EnvelopeResult(
                    id: "id-2",
                    status: .accepted,
                    case: CaseInfo(ref: "RC-1", state: "resolved", opened: false)
                )
            ],
            nowNanos: 200 * s
        )
        XCTAssertEqual(KioskState.cases(of: r).map(\.ref), ["RC-1"])
    }

    func testARecordHoldsOnlyWhatTheSealedEventHolds() {
        var e = CaptureEvent(
            id: "i",
            device: "t",
            seq: 9,
            scan: Scan(readerID: "r", bytes: Array("OBJ 13812345678".utf8), wallNanos: 0, monotonicNanos: 0),
            tag: TagClassification(kind: .subject, schema: "obj", subject: "pn:abc")
        )
        e.operatorID = "OP-pn:def"
        e.location = Location(lat: 31.2304, lon: 121.4737)
        let rec = ScanRecord(sealed: e)
        let json = String(decoding: try! JSONEncoder().encode(rec), as: UTF8.self)
        XCTAssertFalse(json.contains("13812345678"), "no text")
        XCTAssertFalse(json.contains("31.23"), "no location")
        XCTAssertEqual(rec.subject, "pn:abc")
        XCTAssertEqual(rec.operatorID, "OP-pn:def")
    }
}
