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
        let c = TagClassifier(schemas: [try LabelSchema(name: "acme", pattern: "ACME-(?<subject>[0-9]+)", kind: .subject)],
                              readerRoles: ["door": .operatorBadge])
        XCTAssertEqual(c.classify(Array("0012345678".utf8), reader: "door"), TagClassification(kind: .operatorBadge, schema: nil, subject: "0012345678"))
        XCTAssertEqual(c.classify(Array("ACME-1".utf8), reader: "door").schema, "acme", "a schema still wins")
        XCTAssertEqual(c.classify(Array("0012345678".utf8), reader: "other"), .unknown)
    }

    func testInvalidPatternIsATypedErrorNamingTheSchema() {
        XCTAssertThrowsError(try LabelSchema(name: "broken", pattern: "(unclosed", kind: .subject)) { error in
            XCTAssertTrue("\(error)".contains("broken"))
        }
    }
}
