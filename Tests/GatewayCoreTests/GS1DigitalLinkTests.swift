import GatewayCore
import XCTest

/// Examples from the GS1 Digital Link Standard: URI Syntax (the id.gs1.org and example.com URIs
/// of its §4 and §5), plus invalid ones.
final class GS1DigitalLinkTests: XCTestCase {
    func parse(_ s: String) throws -> [GS1Element] { try GS1DigitalLink.parse(s, referenceYear: 2026) }

    func testKeyQualifiersAndAttributes() throws {
        let e = try parse("https://id.gs1.org/01/09506000134352/10/ABC123/21/12345?17=201231&3103=000195")
        XCTAssertEqual(e.map(\.ai), ["01", "10", "21", "17", "3103"])
        XCTAssertEqual(e.map(\.value), ["09506000134352", "ABC123", "12345", "201231", "000195"])
        XCTAssertEqual(e[3].date, "2020-12-31")
        XCTAssertEqual(e[4].decimal, "0.195")
    }

    func testAnyDomainAndPathPrefixAndPercentDecoding() throws {
        let e = try parse("https://example.com/some/path/prefix/01/09506000134352/10/AB%2F12?linkType=gs1:pip")
        XCTAssertEqual(e.map(\.ai), ["01", "10"])
        XCTAssertEqual(e[1].value, "AB/12")
    }

    func testShortGTINIsPaddedAndOtherKeys() throws {
        XCTAssertEqual(try parse("https://example.com/gtin/4006381333931")[0].value, "04006381333931")
        XCTAssertEqual(try parse("https://example.com/00/106141412345678908").map(\.ai), ["00"])
        XCTAssertEqual(
            try parse("https://example.com/414/9506000164908/254/32a%2Fb").map(\.value),
            ["9506000164908", "32a/b"]
        )
    }

    func testInvalid() {
        XCTAssertThrowsError(try parse("https://example.com/01/09506000134353")) {
            guard case .element(let e) = $0 as! GS1DigitalLink.Error else { return XCTFail() }
            XCTAssertTrue(e.isMisread)
        }
        XCTAssertThrowsError(try parse("https://example.com/01/09506000134352/21/X/10/Y")) {
            XCTAssertEqual($0 as? GS1DigitalLink.Error, .qualifierOutOfOrder("10"))
        }
        XCTAssertThrowsError(try parse("https://example.com/nothing/here")) {
            XCTAssertEqual($0 as? GS1DigitalLink.Error, .noPrimaryKey)
        }
        XCTAssertThrowsError(try parse("ftp://example.com/01/09506000134352")) {
            XCTAssertEqual($0 as? GS1DigitalLink.Error, .notAURI)
        }
        XCTAssertThrowsError(try parse("https://example.com/01/09506000134352/10/%G1")) {
            XCTAssertEqual($0 as? GS1DigitalLink.Error, .badPercentEncoding)
        }
        XCTAssertThrowsError(try parse("https://example.com/01/09506000134352?17=201332"))
    }

    func testDigitalLinkAndElementStringGiveTheSameModel() throws {
        let a = try parse("https://id.gs1.org/01/09506000134352/10/ABC?17=201231")
        let b = try GS1ElementString.parse("0109506000134352" + "10ABC\u{1D}" + "17201231", referenceYear: 2026)
        XCTAssertEqual(Set(a.map { $0.ai + "=" + $0.value }), Set(b.map { $0.ai + "=" + $0.value }))
    }
}
