import GatewayCore
import XCTest

@testable import CaseServerKit

/// A batch planned in memory (what the PostgreSQL store does) decides as event-by-event writing
/// would: an object's second scan in the batch joins the case its first opened, a copy of an
/// event in the same batch is answered like the first, and what was read comes first.
final class CaseBatchTests: XCTestCase {
    let rules = CaseRules(policy: TestPolicies.twoInsurers)
    let now: Int64 = 1_000_000_000_000

    func event(_ id: String, subject: String?, device: String = "term-1", kind: String? = nil) -> OpenedEvent {
        let tag = subject.map { TagClassification(kind: .subject, schema: "acme", subject: $0) } ?? .unknown
        return OpenedEvent(header: EventHeader(id: id, device: device, seq: 1, kind: kind, tag: tag), json: "{}")
    }

    func testNeedsNameTheTypesTheObjectsSortedAndTheDuplicatesToLookUp() {
        let events = [
            event("a", subject: "2"), event("b", subject: "1"), event("c", subject: "2"),
            event("h", subject: nil, kind: "heartbeat"), event("u", subject: nil),
        ]
        let needs = CaseBatch.Needs(events, fresh: [true, false, true, true, true])
        XCTAssertEqual(needs.objects.map(\.subject), ["1", "2"])
        XCTAssertEqual(needs.filedEventIDs, ["b"])
        XCTAssertEqual(
            needs.types,
            ["class=subject schema=acme scanner=unidentified", "class=unknown schema=- scanner=unidentified"]
        )
    }

    func testASecondScanInTheBatchJoinsTheCaseTheFirstOpenedAndACopyGetsTheSameAnswer() throws {
        let events = [event("a", subject: "100234"), event("b", subject: "100234"), event("a", subject: "100234")]
        var refs = ["RC-FIRST", "RC-SECOND"].makeIterator()
        let (answers, writes) = try CaseBatch.plan(
            events,
            fresh: [true, true, false],
            facts: .init(),
            rules: rules,
            nowNanos: now,
            draw: { refs.next()! }
        )
        XCTAssertEqual(answers.map(\.fresh), [true, true, false])
        XCTAssertEqual(answers.map { $0.answer.caseInfo?.ref }, ["RC-FIRST", "RC-FIRST", "RC-FIRST"])
        XCTAssertEqual(answers.map { $0.answer.caseInfo?.opened }, [true, false, false])
        XCTAssertEqual(answers[2].answer.caseInfo?.insurers.map(\.id), ["north", "harbour"])
        XCTAssertEqual(writes.cases.map(\.ref), ["RC-FIRST"])
        XCTAssertEqual(writes.caseEvents.map(\.eventID), ["a", "b"])
        XCTAssertEqual(
            writes.notes.map(\.note.text),
            [
                "opened by a scan at term-1", "Northern Mutual notified", "Harbour Re notified",
                "scanned again at term-1",
            ]
        )
        XCTAssertEqual(writes.insurers.map(\.insurer.id), ["north", "harbour"])
        XCTAssertEqual(writes.links.count, 1)
    }

    func testWhatWasReadDecides() throws {
        var facts = CaseBatch.Facts()
        let object = CaseBatch.Object(schema: "acme", subject: "100234")
        facts.open[object] = OpenCase(ref: "RC-OPEN", state: "assessor_assigned")
        facts.states["RC-OPEN"] = "assessor_assigned"
        facts.recentNotes["RC-OPEN"] = [("scanned again at term-1", now - 1_000)]
        facts.filed["old"] = "RC-OLD"
        facts.states["RC-OLD"] = "closed"
        let (answers, writes) = try CaseBatch.plan(
            [event("new", subject: "100234"), event("old", subject: "900000")],
            fresh: [true, false],
            facts: facts,
            rules: rules,
            nowNanos: now,
            draw: {
                XCTFail("no case to open")
                return "RC-X"
            }
        )
        XCTAssertEqual(answers[0].answer.caseInfo?.ref, "RC-OPEN")
        XCTAssertEqual(answers[0].answer.caseInfo?.state, "assessor_assigned")
        XCTAssertEqual(answers[1].answer.caseInfo?.ref, "RC-OLD")
        XCTAssertEqual(answers[1].answer.caseInfo?.state, "closed")
        // Noted within the minute already: no second note; the duplicate is not filed again.
        XCTAssertEqual(writes.notes.count, 0)
        XCTAssertEqual(writes.caseEvents.map(\.eventID), ["new"])
    }

    func testAReferenceAlreadyTakenIsDrawnAgain() throws {
        var facts = CaseBatch.Facts()
        facts.states["RC-TAKEN"] = "closed"
        var refs = ["RC-TAKEN", "RC-FREE"].makeIterator()
        let (answers, _) = try CaseBatch.plan(
            [event("a", subject: "100234")],
            fresh: [true],
            facts: facts,
            rules: rules,
            nowNanos: now,
            draw: { refs.next()! }
        )
        XCTAssertEqual(answers[0].answer.caseInfo?.ref, "RC-FREE")
    }
}
