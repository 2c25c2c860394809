import GatewayCore
import XCTest

final class TagClassifierTests: XCTestCase {
    func testNamedGroupBecomesTheSubject() throws {
        let s = try LabelSchema(name: "acme", pattern: "ACME-(?<subject>[0-9]{8})", kind: .subject)
        XCTAssertEqual(s.match("ACME-00012345"), TagClassification(kind: .subject, schema: "acme", subject: "00012345"))
    }

    func testPatternMustMatchTheWholeScan() throws {
        let s = try LabelSchema(name: "acme", pattern: "ACME-(?<subject>[0-9]{8})", kind: .subject)
        XCTAssertNil(s.match("xACME-00012345"))
        XCTAssertNil(s.match("ACME-000123456"))
    }

    func testWithoutTheGroupTheWholeScanIsTheSubject() throws {
        let s = try LabelSchema(name: "badge", pattern: "OP[0-9]{4}", kind: .operatorBadge)
        XCTAssertEqual(s.match("OP1234"), TagClassification(kind: .operatorBadge, schema: "badge", subject: "OP1234"))
    }

    func testFirstMatchingSchemaWinsAndUnmatchedIsUnknown() throws {
        let c = TagClassifier(schemas: [
            try LabelSchema(name: "first", pattern: "A(?<subject>.*)", kind: .subject),
            try LabelSchema(name: "second", pattern: "AB(?<subject>.*)", kind: .configuration),
        ])
        XCTAssertEqual(c.classify(Array("ABC".utf8)).schema, "first")
        XCTAssertEqual(c.classify(Array("ZZZ".utf8)), .unknown)
    }

    func testBinaryScanIsUnknownNotDropped() throws {
        let c = TagClassifier(schemas: [try LabelSchema(name: "any", pattern: ".*", kind: .subject)])
        XCTAssertEqual(c.classify([0xFF, 0xFE, 0x00]), .unknown)
    }

    func testReaderRoleClassifiesWhatNoSchemaRecognises() throws {
        let c = TagClassifier(
            schemas: [try LabelSchema(name: "acme", pattern: "ACME-(?<subject>[0-9]+)", kind: .subject)],
            readerRoles: ["door": .operatorBadge]
        )
        XCTAssertEqual(
            c.classify(Array("0012345678".utf8), reader: "door"),
            TagClassification(kind: .operatorBadge, schema: nil, subject: "0012345678")
        )
        XCTAssertEqual(c.classify(Array("ACME-1".utf8), reader: "door").schema, "acme", "a schema still wins")
        XCTAssertEqual(c.classify(Array("0012345678".utf8), reader: "other"), .unknown)
    }

    func testSchemaValidationsTurnBadSubjectsIntoMisreads() throws {
        let s = try LabelSchema(
            name: "asset",
            pattern: "AS(?<subject>[0-9]+)",
            kind: .subject,
            length: 8,
            checkDigit: .gs1
        )
        XCTAssertEqual(try s.check("AS96385074")?.get().subject, "96385074")
        guard case .failure(let len) = s.check("AS9638507") else { return XCTFail() }
        XCTAssertTrue(len.reason.contains("expected 8"))
        guard case .failure(let cd) = s.check("AS96385075") else { return XCTFail() }
        XCTAssertEqual(cd.format, "schema asset")
        XCTAssertNil(s.check("XX96385074"))
        let card = try LabelSchema(name: "card", pattern: "[0-9]+", kind: .operatorBadge, checkDigit: .luhn)
        XCTAssertNotNil(try card.check("79927398713")?.get(), "the Luhn example number")
        XCTAssertThrowsError(try card.check("79927398710")?.get())
        let c = TagClassifier(schemas: [s])
        guard case .failure = c.classifyChecked(Array("AS96385075".utf8)) else { return XCTFail() }
        XCTAssertEqual(c.classify(Array("AS96385075".utf8)), .unknown)
    }

    func testInvalidPatternIsATypedErrorNamingTheSchema() {
        XCTAssertThrowsError(try LabelSchema(name: "broken", pattern: "(unclosed", kind: .subject)) { error in
            XCTAssertTrue("\(error)".contains("broken"))
        }
    }
}
