import CaseServerKit
import GatewayCore
import XCTest

final class GuidanceCatalogTests: XCTestCase {
    func g(_ id: String) -> Guidance { Guidance(id: id, title: id, text: id) }
    func t(_ kind: TagClass, _ schema: String?, _ scanner: EventType.Scanner) -> EventType {
        EventType(kind: kind, schema: schema, scanner: scanner)
    }

    func testOwnEntryFirstThenTheMostSimilarByWeightedSharedAttributesThenOrder() {
        let catalog = GuidanceCatalog(entries: [
            .init(type: t(.subject, "acme", .operatorSignedIn), guidance: g("acme-op")),
            .init(type: t(.subject, nil, .unidentified), guidance: g("subject-bystander")),
            .init(type: t(.unknown, "acme", .unidentified), guidance: g("acme-unknown")),
            .init(type: t(.subject, "other", .unidentified), guidance: g("other-bystander")),
        ])
        XCTAssertEqual(catalog.choose(for: t(.subject, "acme", .operatorSignedIn)), .configured(g("acme-op")))
        // subject/acme/bystander: acme-op shares class+schema (6), subject-bystander class+scanner (5),
        // acme-unknown schema+scanner (3), other-bystander class+scanner (5).
        guard case .similar(let chosen, let to, let shared) = catalog.choose(for: t(.subject, "acme", .unidentified))
        else { return XCTFail() }
        XCTAssertEqual(chosen.id, "acme-op")
        XCTAssertEqual(chosen.match, "similar")
        XCTAssertEqual(chosen.similarTo, "class=subject schema=acme scanner=operator")
        XCTAssertEqual(to, t(.subject, "acme", .operatorSignedIn))
        XCTAssertEqual(shared, ["class", "schema"])
        // subject/new/bystander: subject-bystander and other-bystander both share class+scanner:
        // the first configured wins.
        guard case .similar(let tie, _, _) = catalog.choose(for: t(.subject, "new", .unidentified)) else {
            return XCTFail()
        }
        XCTAssertEqual(tie.id, "subject-bystander")
        // Only entries of the same class are similar: a configuration tag gets none of these.
        XCTAssertNil(catalog.choose(for: t(.configuration, "acme", .operatorSignedIn)))
        guard case .similar(let unknown, _, let shared2) = catalog.choose(for: t(.unknown, nil, .operatorSignedIn))
        else { return XCTFail() }
        XCTAssertEqual(unknown.id, "acme-unknown")
        XCTAssertEqual(shared2, ["class"])
        XCTAssertNil(GuidanceCatalog(entries: []).choose(for: t(.subject, nil, .unidentified)))
    }

    func testEventTypeTextRoundTrips() {
        for type in [t(.subject, "acme", .operatorSignedIn), t(.unknown, nil, .unidentified)] {
            XCTAssertEqual(EventType(type.description), type)
        }
        XCTAssertNil(EventType("class=subject schema=-"))
        XCTAssertNil(EventType("class=nope schema=- scanner=operator"))
    }

    func testPolicyParsesAndNamesTheKeyOfEachMistake() throws {
        let policy = try CasePolicy.parse(
            toml: """
                [[insurer]]
                id = "north"
                name = "Northern Mutual"
                [[insurer]]
                id = "harbour"
                [[coverage]]
                subjects = ["1002*", "300001"]
                insurers = ["north", "harbour"]
                [[coverage]]
                subjects = ["*"]
                schema = "acme"
                insurers = ["north"]
                [[guidance]]
                id = "acme-bystander"
                class = "subject"
                schema = "acme"
                title = "Thanks"
                text = "Keep away"
                steps = ["a", "b"]
                """
        )
        XCTAssertEqual(policy.insurers(covering: "100234", schema: "acme").map(\.id), ["north", "harbour"])
        XCTAssertEqual(policy.insurers(covering: "555", schema: "acme").map(\.id), ["north"])
        XCTAssertEqual(policy.insurers(covering: "555", schema: "other").map(\.id), [])
        XCTAssertEqual(policy.insurers(covering: "300001", schema: nil).map(\.name), ["Northern Mutual", "harbour"])
        XCTAssertEqual(
            policy.catalog.entries.first?.type,
            t(.subject, "acme", .unidentified),
            "scanner defaults to unidentified"
        )
        // The built-in guidance follows the site's entries, e.g. for a badge tap.
        XCTAssertEqual(policy.catalog.entries.map(\.guidance.id).first, "acme-bystander")
        guard case .similar(let badge, _, _) = policy.catalog.choose(for: t(.operatorBadge, "staff", .unidentified))
        else { return XCTFail() }
        XCTAssertEqual(badge.id, "builtin-operator")
        XCTAssertEqual(policy.catalog.entries.first?.guidance.steps, ["a", "b"])

        func error(_ toml: String) -> String {
            do {
                _ = try CasePolicy.parse(toml: toml)
                return "no error"
            } catch { return "\(error)" }
        }
        XCTAssertTrue(
            error("[[coverage]]\nsubjects = [\"1\"]\ninsurers = [\"ghost\"]").contains(
                "coverage[0].insurers: no [[insurer]] with id 'ghost'"
            )
        )
        XCTAssertTrue(
            error("[[guidance]]\nid = \"x\"\nclass = \"thing\"\ntitle = \"t\"\ntext = \"t\"").contains(
                "guidance[0].class: unknown class 'thing'"
            )
        )
        XCTAssertTrue(
            error("[[guidance]]\nid = \"x\"\nclass = \"subject\"\nscanner = \"robot\"\ntitle = \"t\"\ntext = \"t\"")
                .contains("use operator or unidentified")
        )
        XCTAssertTrue(error("[[insurer]]\nid = \"a\"\ncolour = \"red\"").contains("insurer[0].colour: unknown key"))
        XCTAssertTrue(
            error("[[guidance]]\nid = \"x\"\nclass = \"subject\"\ntext = \"t\"").contains("guidance[0].title: missing")
        )
    }
}
