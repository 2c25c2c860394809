import GatewayCore
import XCTest

/// Vectors from the GS1 General Specifications (GS1 GenSpecs 24.0): the check digit
/// calculation (§7.9), element strings and FNC1 rules (§7.8), dates and the century window
/// (§7.12), implied decimal points (§3.6), and the example keys used throughout the GS1
/// Digital Link standard (GTIN 09506000134352).
final class GS1ElementStringTests: XCTestCase {
    let gs = "\u{1D}"

    func parse(_ s: String) throws -> [GS1Element] { try GS1ElementString.parse(s, referenceYear: 2026) }

    func testCheckDigits() {
        // GenSpecs §7.9.1 worked example: GTIN-13 "629104150021" + check digit 3.
        XCTAssertEqual(GS1ElementString.checkDigit(Array("629104150021")), "3")
        XCTAssertTrue(GS1ElementString.isValidKey("09506000134352"))  // GTIN-14
        XCTAssertTrue(GS1ElementString.isValidKey("4006381333931"))  // GTIN-13 (EAN-13)
        XCTAssertTrue(GS1ElementString.isValidKey("96385074"))  // GTIN-8
        XCTAssertTrue(GS1ElementString.isValidKey("036000291452"))  // GTIN-12 (UPC-A)
        XCTAssertTrue(GS1ElementString.isValidKey("106141412345678908"))  // SSCC, GenSpecs §3.3.1 example
        XCTAssertFalse(GS1ElementString.isValidKey("4006381333932"))
        XCTAssertFalse(GS1ElementString.isValidKey("40063813339"))
    }

    func testFixedAndVariableLengthWithFNC1() throws {
        let els = try parse("0109506000134352" + "17201231" + "10ABC123" + gs + "21XYZ")
        XCTAssertEqual(els.map(\.ai), ["01", "17", "10", "21"])
        XCTAssertEqual(els.map(\.value), ["09506000134352", "201231", "ABC123", "XYZ"])
        XCTAssertEqual(els[1].date, "2020-12-31")
        XCTAssertEqual(els[0].title, "GTIN")
    }

    func testBracketedHumanReadableForm() throws {
        let els = try parse("(01)09506000134352(3103)001250(15)251200")
        XCTAssertEqual(els.map(\.ai), ["01", "3103", "15"])
        XCTAssertEqual(els[1].decimal, "1.250")
        XCTAssertEqual(els[2].date, "2025-12-31", "day 00 means the last day of the month")
    }

    func testWrongCheckDigitIsAMisread() {
        XCTAssertThrowsError(try parse("0109506000134353")) {
            XCTAssertEqual($0 as? GS1Error, .checkDigit(ai: "01", expected: "2", found: "3"))
            XCTAssertTrue(($0 as! GS1Error).isMisread)
        }
    }

    func testDatesAreRealDates() {
        XCTAssertThrowsError(try parse("0109506000134352" + "17230230")) {
            XCTAssertEqual($0 as? GS1Error, .badDate(ai: "17"))
        }
        XCTAssertThrowsError(try parse("0109506000134352" + "11231301")) {
            XCTAssertEqual($0 as? GS1Error, .badDate(ai: "11"))
        }
        XCTAssertNoThrow(try parse("0109506000134352" + "17240229"), "2024 is a leap year")
        XCTAssertThrowsError(try parse("0109506000134352" + "17250229"))
        // yymmdd: no day 00.
        XCTAssertThrowsError(try parse("(4326)250100")) { XCTAssertEqual($0 as? GS1Error, .badDate(ai: "4326")) }
    }

    func testCenturyWindow() throws {
        XCTAssertEqual(try GS1ElementString.parse("(17)760101", referenceYear: 2026)[0].date, "2076-01-01")
        XCTAssertEqual(try GS1ElementString.parse("(17)770101", referenceYear: 2026)[0].date, "1977-01-01")
        XCTAssertEqual(try GS1ElementString.parse("(17)300101", referenceYear: 2080)[0].date, "2130-01-01")
    }

    func testDecimalAIsUseTheirLastDigit() throws {
        XCTAssertEqual(try parse("(3100)000125")[0].decimal, "125")
        XCTAssertEqual(try parse("(3922)12345")[0].decimal, "123.45")
        XCTAssertEqual(try parse("(3925)12345")[0].decimal, "0.12345")
        XCTAssertEqual(try parse("(3926)12345")[0].decimal, "0.012345")
    }

    func testBadInputIsTypedErrors() {
        XCTAssertThrowsError(try parse("")) { XCTAssertEqual($0 as? GS1Error, .empty) }
        XCTAssertThrowsError(try parse("0512345")) { XCTAssertEqual($0 as? GS1Error, .unknownAI(at: 0)) }
        XCTAssertThrowsError(try parse("01123")) { XCTAssertEqual($0 as? GS1Error, .tooShort(ai: "01")) }
        XCTAssertThrowsError(try parse("10" + String(repeating: "A", count: 21))) {
            XCTAssertEqual($0 as? GS1Error, .tooLong(ai: "10", max: 20))
        }
        XCTAssertThrowsError(try parse("10AB~C")) { XCTAssertEqual($0 as? GS1Error, .badCharacter(ai: "10")) }
        XCTAssertThrowsError(try parse("0109506000134X52")) { XCTAssertEqual($0 as? GS1Error, .badCharacter(ai: "01")) }
    }

    func testMultiComponentAIs() throws {
        // (253) GDTI: N13 with check digit + optional serial X..17.
        let e = try parse("(253)4602443000331XYZ")
        XCTAssertEqual(e[0].value, "4602443000331XYZ")
        XCTAssertThrowsError(try parse("(253)4602443000332XYZ"))
        // (8003) GRAI: N14 with check digit (a zero filler then the GRAI's 13 digits) + serial.
        XCTAssertEqual(try parse("(8003)01234567890128SERIAL")[0].value, "01234567890128SERIAL")
        XCTAssertThrowsError(try parse("(8003)01234567890127SERIAL")) {
            XCTAssertEqual(($0 as? GS1Error)?.isMisread, true)
        }
    }

    func testTableCoversTheFullAIRange() {
        XCTAssertGreaterThan(GS1AITable.entries.count, 450)
        for ai in [
            "00", "01", "10", "21", "235", "253", "3103", "3929", "414", "4300", "7003", "7240", "8003", "8030", "8200",
            "99",
        ] {
            XCTAssertNotNil(GS1AITable.entries[ai], ai)
        }
    }
}

/// Property: any list of valid elements, concatenated by the rules (FNC1 after variable-length
/// values unless last), parses back to the same list — raw and bracketed.
final class GS1RoundTripTests: XCTestCase {
    func randomValue(_ e: GS1AITable.Entry, _ rng: inout some RandomNumberGenerator) -> String? {
        if e.components.contains(where: { $0.rules.contains { $0.hasPrefix("yymm") } }) { return "261231" }
        var v = ""
        for c in e.components {
            let n = c.min == c.max ? c.min : Int.random(in: c.min...min(c.max, c.min + 10), using: &rng)
            var part = ""
            for _ in 0..<n {
                switch c.charset {
                case .numeric: part.append(Character(String(Int.random(in: 0...9, using: &rng))))
                case .cset39: part.append("0123456789ABCXYZ-/#".randomElement(using: &rng)!)
                case .cset64: part.append("abcXYZ019-_".randomElement(using: &rng)!)
                case .cset82: part.append("abcXYZ019-./%!:;".randomElement(using: &rng)!)
                }
            }
            if c.rules.contains("csum") {
                part = String(part.dropLast()) + String(GS1ElementString.checkDigit(Array(part.dropLast())))
            }
            v += part
        }
        return v
    }

    func testRandomElementStringsRoundTrip() throws {
        var rng = SystemRandomNumberGenerator()
        let ais = GS1AITable.entries.keys.sorted()
        for _ in 0..<500 {
            var picked: [(String, String)] = []
            for _ in 0..<Int.random(in: 1...5, using: &rng) {
                let e = GS1AITable.entries[ais.randomElement(using: &rng)!]!
                if let v = randomValue(e, &rng) { picked.append((e.ai, v)) }
            }
            var raw = ""
            var bracketed = ""
            for (i, (ai, v)) in picked.enumerated() {
                raw += ai + v
                bracketed += "(\(ai))\(v)"
                let predefined = GS1AITable.predefinedLengthPrefixes.contains(String(ai.prefix(2)))
                if !predefined && i < picked.count - 1 { raw += "\u{1D}" }
            }
            let a = try GS1ElementString.parse(raw, referenceYear: 2026)
            XCTAssertEqual(a.map(\.ai), picked.map(\.0), raw)
            XCTAssertEqual(a.map(\.value), picked.map(\.1), raw)
            if !picked.contains(where: { $0.1.contains("(") }) {
                let b = try GS1ElementString.parse(bracketed, referenceYear: 2026)
                XCTAssertEqual(b.map(\.value), picked.map(\.1), bracketed)
            }
        }
    }
}
