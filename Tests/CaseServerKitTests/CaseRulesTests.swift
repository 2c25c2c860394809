import CaseServerKit
import GatewayCore
import XCTest

/// The case rules without a database: what they plan from what a store knows, and which facts
/// they ask for (each one is a read the SQLite store makes per event).
final class CaseRulesTests: XCTestCase {
    /// A store's knowledge, in memory, with the questions asked in order.
    final class Facts: CaseFacts {
        var links: [String: GuidanceLink] = [:]
        var filed: [String: String] = [:]
        var open: [String: OpenCase] = [:]
        var notes: [(ref: String, text: String, at: Int64)] = []
        var asked: [String] = []

        func guidanceLink(type: String) throws -> GuidanceLink? {
            asked.append("link")
            return links[type]
        }

        func caseFiled(eventID: String) throws -> String? {
            asked.append("filed")
            return filed[eventID]
        }

        func openCase(schema: String, subject: String) throws -> OpenCase? {
            asked.append("open")
            return open[schema + "/" + subject]
        }

        func hasNote(ref: String, text: String, afterNanos: Int64) throws -> Bool {
            asked.append("note")
            return notes.contains { $0.ref == ref && $0.text == text && $0.at > afterNanos }
        }
    }

    let policy = TestPolicies.twoInsurers
    let now: Int64 = 1_000_000_000_000

    func scan(_ id: String, subject: String, schema: String? = "acme", operatorID: String? = "OP-1") -> EventHeader {
        EventHeader(
            id: id,
            device: "term-1",
            seq: 1,
            tag: TagClassification(kind: .subject, schema: schema, subject: subject),
            operatorID: operatorID
        )
    }

    func testAFreshScanOfAnObjectWithoutAnOpenCaseOpensOneWithEveryCoveringInsurerNotified() throws {
        let facts = Facts()
        var known: [EventType: Guidance?] = [:]
        let plan = try CaseRules(policy: policy).plan(
            for: scan("e1", subject: "100234"),
            fresh: true,
            nowNanos: now,
            known: &known,
            facts: facts
        )
        // Fresh: it cannot be filed yet, so that is not asked; nor whether a new case was noted.
        XCTAssertEqual(facts.asked, ["link", "open"])
        XCTAssertEqual(plan.guidance?.id, "acme-op")
        XCTAssertEqual(
            plan.link,
            GuidanceLink(
                type: "class=subject schema=acme scanner=operator",
                guidanceID: "acme-op",
                how: "configured",
                similarTo: nil,
                shared: nil,
                linkedAtNanos: now
            )
        )
        guard case .open(let new) = plan.action else { return XCTFail("\(String(describing: plan.action))") }
        XCTAssertEqual(new.subject, "100234")
        XCTAssertEqual(new.schema, "acme")
        XCTAssertEqual(new.device, "term-1")
        XCTAssertEqual(new.state, "insurers_notified")
        XCTAssertEqual(new.guidanceID, "acme-op")
        XCTAssertEqual(new.insurers.map(\.id), ["north", "harbour"])
        XCTAssertEqual(
            new.notes,
            [
                CasePlan.Note(state: "opened", text: "opened by a scan at term-1"),
                CasePlan.Note(state: "notified", text: "Northern Mutual notified", insurer: "north"),
                CasePlan.Note(state: "notified", text: "Harbour Re notified", insurer: "harbour"),
            ]
        )
        let answer = new.answer(ref: "RC-0000000001", nowNanos: now)
        XCTAssertEqual(answer.ref, "RC-0000000001")
        XCTAssertTrue(answer.opened)
        XCTAssertEqual(
            answer.insurers.map { "\($0.id):\($0.state):\($0.updatedAt)" },
            ["north:notified:\(RFC3339.format(unixNanos: now))", "harbour:notified:\(RFC3339.format(unixNanos: now))"]
        )

        // The type's guidance is decided once per transaction: the next event of the type asks no link.
        facts.asked = []
        let uncovered = try CaseRules(policy: policy).plan(
            for: scan("e2", subject: "900001"),
            fresh: true,
            nowNanos: now,
            known: &known,
            facts: facts
        )
        XCTAssertEqual(facts.asked, ["open"])
        XCTAssertNil(uncovered.link)
        XCTAssertEqual(uncovered.guidance?.id, "acme-op")
        guard case .open(let lone) = uncovered.action else { return XCTFail() }
        XCTAssertEqual(lone.state, "opened")
        XCTAssertEqual(lone.insurers, [])
        XCTAssertEqual(
            lone.notes,
            [CasePlan.Note(state: "opened", text: "opened by a scan at term-1; no insurer on record for this object")]
        )
    }

    func testALaterScanJoinsTheOpenCaseNotedOnceAMinutePerTerminal() throws {
        let facts = Facts()
        facts.open["acme/100234"] = OpenCase(ref: "RC-A", state: "assessor_assigned")
        var known: [EventType: Guidance?] = [:]
        let rules = CaseRules(policy: policy)
        let first = try rules.plan(
            for: scan("e1", subject: "100234"),
            fresh: true,
            nowNanos: now,
            known: &known,
            facts: facts
        )
        XCTAssertEqual(facts.asked, ["link", "open", "note"])
        XCTAssertEqual(
            first.action,
            .join(
                OpenCase(ref: "RC-A", state: "assessor_assigned"),
                note: CasePlan.Note(state: "assessor_assigned", text: "scanned again at term-1")
            )
        )

        // Noted 59 s ago: no new note; 60 s ago: the note is due again.
        facts.notes = [("RC-A", "scanned again at term-1", now - 59_000_000_000)]
        let soon = try rules.plan(
            for: scan("e2", subject: "100234"),
            fresh: true,
            nowNanos: now,
            known: &known,
            facts: facts
        )
        XCTAssertEqual(soon.action, .join(OpenCase(ref: "RC-A", state: "assessor_assigned"), note: nil))
        facts.notes = [
            ("RC-A", "scanned again at term-1", now - 60_000_000_000), ("RC-A", "scanned again at term-2", now),
        ]
        let later = try rules.plan(
            for: scan("e3", subject: "100234"),
            fresh: true,
            nowNanos: now,
            known: &known,
            facts: facts
        )
        XCTAssertEqual(
            later.action,
            .join(
                OpenCase(ref: "RC-A", state: "assessor_assigned"),
                note: CasePlan.Note(state: "assessor_assigned", text: "scanned again at term-1")
            )
        )
    }

    func testADuplicateIsAnsweredWithItsCaseAndOneNeverFiledIsFiledAsNew() throws {
        let facts = Facts()
        facts.filed["e1"] = "RC-A"
        var known: [EventType: Guidance?] = [:]
        let rules = CaseRules(policy: policy)
        let again = try rules.plan(
            for: scan("e1", subject: "100234"),
            fresh: false,
            nowNanos: now,
            known: &known,
            facts: facts
        )
        XCTAssertEqual(again.action, .answerFiled(ref: "RC-A"))
        XCTAssertEqual(facts.asked, ["link", "filed"])
        // Stored before but under no case: filed now, as a fresh one would be.
        facts.asked = []
        let unfiled = try rules.plan(
            for: scan("e9", subject: "100234"),
            fresh: false,
            nowNanos: now,
            known: &known,
            facts: facts
        )
        XCTAssertEqual(facts.asked, ["filed", "open"])
        guard case .open = unfiled.action else { return XCTFail() }
    }

    func testAHeartbeatGetsNothingAndATagNamingNoObjectOnlyGuidance() throws {
        let facts = Facts()
        var known: [EventType: Guidance?] = [:]
        let rules = CaseRules(policy: policy)
        let beat = EventHeader(id: "h1", device: "term-1", seq: 1, kind: "heartbeat")
        XCTAssertEqual(try rules.plan(for: beat, fresh: true, nowNanos: now, known: &known, facts: facts), CasePlan())
        XCTAssertEqual(facts.asked, [])
        let unknown = EventHeader(id: "u1", device: "term-1", seq: 2, tag: .unknown)
        let plan = try rules.plan(for: unknown, fresh: true, nowNanos: now, known: &known, facts: facts)
        XCTAssertEqual(facts.asked, ["link"])
        XCTAssertNil(plan.action)
        XCTAssertEqual(plan.guidance?.id, "builtin-unknown")
        XCTAssertEqual(plan.link?.how, "configured")
        // A subject tag without a subject id names no object either.
        let blank = try rules.plan(
            for: scan("s1", subject: ""),
            fresh: true,
            nowNanos: now,
            known: &known,
            facts: facts
        )
        XCTAssertNil(blank.action)
    }

    func testAStoredLinkStandsUntilTheTypeIsConfiguredOrItsGuidanceIsGone() {
        let rules = CaseRules(policy: policy)
        let bystander = EventType(kind: .subject, schema: "acme", scanner: .unidentified)
        // No link yet: the most similar configured type's, recorded with what they share.
        let (chosen, link) = rules.guidance(for: bystander, linked: nil, nowNanos: now)
        XCTAssertEqual(chosen?.id, "acme-op")
        XCTAssertEqual(
            link,
            GuidanceLink(
                type: bystander.description,
                guidanceID: "acme-op",
                how: "similar",
                similarTo: "class=subject schema=acme scanner=operator",
                shared: "class,schema",
                linkedAtNanos: now
            )
        )
        // Linked to another similar guidance before: it stands, and says where it came from.
        let earlier = GuidanceLink(
            type: bystander.description,
            guidanceID: "builtin-subject-bystander",
            how: "similar",
            similarTo: "class=subject schema=- scanner=unidentified",
            shared: "class,scanner",
            linkedAtNanos: 1
        )
        let (kept, none) = rules.guidance(for: bystander, linked: earlier, nowNanos: now)
        XCTAssertNil(none)
        XCTAssertEqual(kept?.id, "builtin-subject-bystander")
        XCTAssertEqual(kept?.match, "similar")
        XCTAssertEqual(kept?.similarTo, "class=subject schema=- scanner=unidentified")
        // The type gets an entry of its own: the similar link gives way.
        let operatorType = EventType(kind: .subject, schema: "acme", scanner: .operatorSignedIn)
        let stale = GuidanceLink(
            type: operatorType.description,
            guidanceID: "builtin-subject-operator",
            how: "similar",
            similarTo: "class=subject schema=- scanner=operator",
            shared: "class,scanner",
            linkedAtNanos: 1
        )
        let (own, relinked) = rules.guidance(for: operatorType, linked: stale, nowNanos: now)
        XCTAssertEqual(own?.id, "acme-op")
        XCTAssertEqual(relinked?.how, "configured")
        // Linked guidance the catalog no longer has: linked anew.
        let gone = GuidanceLink(
            type: bystander.description,
            guidanceID: "retired",
            how: "configured",
            similarTo: nil,
            shared: nil,
            linkedAtNanos: 1
        )
        XCTAssertEqual(rules.guidance(for: bystander, linked: gone, nowNanos: now).1?.guidanceID, "acme-op")
        // A class nobody wrote guidance for gets none, and no link.
        let config = EventType(kind: .configuration, schema: nil, scanner: .unidentified)
        let (nothing, noLink) = rules.guidance(for: config, linked: nil, nowNanos: now)
        XCTAssertNil(nothing)
        XCTAssertNil(noLink)
    }

    func testProgressStepsAreCheckedAgainstTheStatesAndTheInsurersOnTheCase() throws {
        func check(_ state: String, insurer: String? = nil, final: Bool? = false) throws -> CaseProgress.Update {
            try CaseProgress.check(ref: "RC-A", state: state, note: "n", insurer: insurer, caseIsFinal: final) {
                ["north"]
            }
        }
        XCTAssertEqual(try check("assessor_assigned"), .caseState("assessor_assigned", final: false))
        XCTAssertEqual(try check("resolved"), .caseState("resolved", final: true))
        XCTAssertEqual(try check("closed", final: true), .caseState("closed", final: true))
        XCTAssertEqual(
            try check("acknowledged", insurer: "north"),
            .insurerState("acknowledged", insurer: "north", note: "n")
        )
        XCTAssertEqual(
            try CaseProgress.check(ref: "RC-A", state: "settled", note: "", insurer: "north", caseIsFinal: false) {
                ["north"]
            },
            .insurerState("settled", insurer: "north", note: nil)
        )
        func refusal(_ step: () throws -> CaseProgress.Update) -> CaseProgressError? {
            do {
                _ = try step()
                return nil
            } catch { return error as? CaseProgressError }
        }
        XCTAssertEqual(refusal { try check("opened", final: nil) }, .noSuchCase("RC-A"))
        XCTAssertEqual(refusal { try check("teleported") }, .unknownState("teleported", valid: CaseStates.ofCase))
        XCTAssertEqual(
            refusal { try check("closed", insurer: "north") },
            .unknownState("closed", valid: CaseStates.ofInsurer)
        )
        XCTAssertEqual(
            refusal { try check("acknowledged", insurer: "ghost") },
            .noSuchInsurer("ghost", onCase: ["north"])
        )
        XCTAssertEqual(refusal { try check("assessor_on_site", final: true) }, .caseClosed("RC-A"))
    }
}
