import Foundation
import GatewayCore
import XCTest

final class RedactorTests: XCTestCase {
    static let siteKey = Array(repeating: UInt8(7), count: 32)
    let pseudonyms = Pseudonymizer(keyBytes: RedactorTests.siteKey)
    let builtIn = Redactor(rules: RedactionRule.builtIn, pseudonymizer: Pseudonymizer(keyBytes: RedactorTests.siteKey))

    // A valid PRC id (GB 11643 example form): region 110105, born 1949-12-31, check X.
    let prcID = "11010519491231002X"

    func event(
        _ text: String,
        bytes: [UInt8]? = nil,
        symbology: String? = nil,
        hint: TagDecoder.Hint = .auto
    ) -> CaptureEvent {
        let b = bytes ?? Array(text.utf8)
        let scan = Scan(
            readerID: "r0",
            bytes: b,
            wallNanos: 1_700_000_000_123_000_000,
            monotonicNanos: 5_000_000_123,
            symbology: symbology
        )
        let decoded = TagDecoder(referenceYear: 2026).decode(b, symbology: symbology, hint: hint)
        switch decoded {
        case .success(let d):
            return CaptureEvent(id: "id-1", device: "term-1", seq: 1, scan: scan, tag: .unknown, decoded: d)
        case .failure(let m):
            return CaptureEvent(id: "id-1", device: "term-1", seq: 1, scan: scan, tag: .unknown, misread: m)
        }
    }

    func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    func json(_ e: CaptureEvent) throws -> String { String(decoding: try e.jsonBytes(), as: UTF8.self) }

    /// Nothing of `value` in the event's JSON: not as is, not in base64 (raw), not digits-only.
    func assertAbsent(_ value: String, from e: CaptureEvent, file: StaticString = #filePath, line: UInt = #line) throws
    {
        let j = try json(e)
        XCTAssertFalse(j.contains(value), "\(value) still in \(j)", file: file, line: line)
        if let raw = e.raw, let bytes = Data(base64Encoded: raw) {
            XCTAssertFalse(
                String(decoding: bytes, as: UTF8.self).contains(value),
                "\(value) still in raw",
                file: file,
                line: line
            )
        }
    }

    // MARK: detectors through the engine

    func testPRCIDIsPseudonymisedEverywhereAndTheRuleNamed() throws {
        let r = builtIn.redact(event("claimant \(prcID) at desk 4"))
        try assertAbsent(prcID, from: r.event)
        let p = pseudonyms.pseudonym(for: prcID, kind: .prcID)
        XCTAssertTrue(p.hasPrefix("pn:") && p.count == 35)
        XCTAssertEqual(r.event.text, "claimant \(p) at desk 4")
        XCTAssertEqual(
            Data(base64Encoded: r.event.raw ?? ""),
            Data("claimant \(p) at desk 4".utf8),
            "raw follows the redacted text"
        )
        XCTAssertEqual(r.event.redactions, ["prc-id"])
        XCTAssertEqual(r.steps.map(\.field), ["text"])
    }

    func testFullWidthDigitsAreFoundAndGiveTheSamePseudonym() throws {
        let wide = String(
            prcID.map { ch -> Character in
                let v = ch.unicodeScalars.first!.value
                return Character(Unicode.Scalar(v - 0x21 + 0xFF01)!)
            }
        )
        let r = builtIn.redact(event("身份证：\(wide)"))
        try assertAbsent(wide, from: r.event)
        XCTAssertEqual(
            r.event.text,
            "身份证：" + pseudonyms.pseudonym(for: prcID, kind: .prcID),
            "one person, one pseudonym, whatever the width"
        )
    }

    func testCardMaskedToLastFourPhoneMaskedEmailHashed() throws {
        let r = builtIn.redact(event("card 4111 1111 1111 1111 tel 13812345678 mail Zhang.San@Example.COM"))
        try assertAbsent("4111 1111 1111 1111", from: r.event)
        try assertAbsent("13812345678", from: r.event)
        try assertAbsent("Zhang.San@Example.COM", from: r.event)
        XCTAssertEqual(
            r.event.text,
            "card ***************1111 tel 138****5678 mail "
                + pseudonyms.pseudonym(for: "zhang.san@example.com", kind: .email)
        )
        XCTAssertEqual(r.event.redactions, ["payment-card", "phone", "email"])
    }

    func testE164AndMobilePseudonymsJoinAcrossSpellings() {
        XCTAssertEqual(
            pseudonyms.pseudonym(for: "+8613812345678", kind: .mobileCN),
            pseudonyms.pseudonym(for: "13812345678", kind: .mobileCN)
        )
        XCTAssertNotEqual(
            pseudonyms.pseudonym(for: "13812345678", kind: .mobileCN),
            Pseudonymizer(keyBytes: Array(repeating: 8, count: 32)).pseudonym(for: "13812345678", kind: .mobileCN),
            "another site's key gives another pseudonym"
        )
    }

    // MARK: GS1 personal AIs, free text and protected keys

    func testGS1PersonAIsDroppedFromModelAndTextAndInternalPhoneMasked() throws {
        // GTIN, DOB (7250), full name (7256), company-internal (91) with a phone number.
        let gs = "\u{1D}"
        // 7250 has no predefined length: FNC1 (GS) ends it like any variable AI.
        let label = "0104006381333931" + "7250" + "19800115" + gs + "7256" + "ZHANG_SAN" + gs + "91" + "TEL13812345678"
        let e = event(label, symbology: "]d2")
        XCTAssertEqual(e.decoded?.format, .gs1, "the fixture must decode")
        let r = builtIn.redact(e)
        let ais = r.event.decoded?.gs1?.map(\.ai)
        XCTAssertEqual(ais, ["01", "91"])
        XCTAssertEqual(r.event.decoded?.gs1?.first?.value, "04006381333931", "the GTIN is untouched")
        XCTAssertEqual(r.event.decoded?.gs1?.last?.value, "TEL138****5678")
        try assertAbsent("ZHANG_SAN", from: r.event)
        try assertAbsent("19800115", from: r.event)
        try assertAbsent("13812345678", from: r.event)
        XCTAssertEqual(r.event.redactions, ["gs1-person", "phone"])
    }

    func testValidTagIdentifiersAreLeftAloneEvenWhenTheyLookLikeCardsOrPhones() throws {
        // GTIN-13s, SSCCs and GIAIs whose digits also pass Luhn with a card-like first digit:
        // a detector alone would call them cards; decoded as tag ids they must stay.
        var found = 0
        for n in 0..<2000 {
            let body12 = "4" + pad(100_000_000 + n * 7919, 11)
            let gtin = body12 + String(GS1Check.digit(body12))
            guard PersonalDataDetectors.detect(gtin).contains(where: { $0.kind == .paymentCard }) else { continue }
            found += 1
            for (text, sym) in [(gtin, "]E0"), (gtin, nil as String?), ("01" + "0" + gtin, "]C1")] {
                let e = event(text, symbology: sym)
                XCTAssertNotNil(e.decoded, text)
                let r = builtIn.redact(e)
                XCTAssertNil(r.event.redactions, "\(text) was redacted as \(r.steps.map(\.rule))")
                XCTAssertEqual(r.event, e)
            }
        }
        XCTAssertGreaterThan(found, 50, "the fixture must contain Luhn-passing GTINs")

        var ssccs = 0
        for n in 0..<3000 {
            let body17 = "3" + pad(4_006_381_000_000 + n * 104_729, 16)
            let sscc = body17 + String(GS1Check.digit(body17))
            guard PersonalDataDetectors.detect(sscc).contains(where: { $0.kind == .paymentCard || $0.kind == .prcID })
            else { continue }
            ssccs += 1
            let e = event("00" + sscc, symbology: "]C1")
            XCTAssertEqual(e.decoded?.gs1?.first?.ai, "00")
            let r = builtIn.redact(e)
            XCTAssertNil(r.event.redactions, "SSCC \(sscc) was redacted")
        }
        XCTAssertGreaterThan(ssccs, 50)

        // A mobile-number-shaped GIAI and an SGTIN-96 EPC.
        for label in ["8004" + "13812345678", "3074257BF7194E4000001A85"] {
            let e = event(label, symbology: label.hasPrefix("8004") ? "]C1" : nil)
            XCTAssertNotNil(e.decoded, label)
            XCTAssertNil(builtIn.redact(e).event.redactions, label)
        }
    }

    func testARuleThatNamesAKeyRedactsIt() throws {
        let rules = [RedactionRule(name: "gtin-pseudonym", fields: ["gs1.01"], action: .hash)] + RedactionRule.builtIn
        let e = event("0104006381333931", symbology: "]C1")
        let r = Redactor(rules: rules, pseudonymizer: pseudonyms).redact(e)
        XCTAssertEqual(r.event.decoded?.gs1?.first?.value, pseudonyms.pseudonym(for: "04006381333931", kind: nil))
        try assertAbsent("04006381333931", from: r.event)
        XCTAssertEqual(r.event.redactions, ["gtin-pseudonym"])
    }

    // MARK: payloads, NDEF, binary

    func testJSONPayloadFieldsByNameAndDetectorsInside() throws {
        let text = #"{"asset":"A-77","owner":{"name":"\u5f20\u4e09","phone":13812345678,"ids":["\#(prcID)"]}}"#
        let rules =
            [RedactionRule(name: "owner-name", fields: ["payload.owner.name"], action: .drop)] + RedactionRule.builtIn
        let r = Redactor(rules: rules, pseudonymizer: pseudonyms).redact(event(text))
        let out = try XCTUnwrap(r.event.text)
        let obj = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any]
        let owner = obj["owner"] as! [String: Any]
        XCTAssertNil(owner["name"], "dropped by name")
        XCTAssertEqual(owner["phone"] as? String, "138****5678")
        XCTAssertEqual(owner["ids"] as? [String], [pseudonyms.pseudonym(for: prcID, kind: .prcID)])
        XCTAssertEqual(obj["asset"] as? String, "A-77")
        try assertAbsent("张三", from: r.event)
        try assertAbsent("\\u5f20", from: r.event)
        XCTAssertEqual(r.event.redactions, ["owner-name", "prc-id", "phone"])
    }

    func testNDEFTextRecordIsRedactedAndRawWithheld() throws {
        // One NDEF Text record, UTF-16 ("en"), holding a mobile number.
        let text = Array("tel 13812345678".utf16)
        var payload: [UInt8] = [0x80 | 2] + Array("en".utf8)
        for u in text { payload += [UInt8(u >> 8), UInt8(u & 0xFF)] }
        let record: [UInt8] = [0xD1, 0x01, UInt8(payload.count), 0x54] + payload
        let e = event("", bytes: record, hint: .ndef)
        XCTAssertEqual(e.decoded?.ndef?.first?.text, "tel 13812345678", "fixture decodes")
        let r = builtIn.redact(e)
        XCTAssertEqual(r.event.decoded?.ndef?.first?.text, "tel 138****5678")
        XCTAssertNil(r.event.raw, "the raw bytes hold the number in UTF-16: withheld")
        XCTAssertEqual(r.event.redactions, ["phone"])
    }

    func testUnknownBinaryWithAnIDInUTF16IsWithheld() throws {
        var bytes: [UInt8] = [0x00, 0xFE, 0x17]
        for u in prcID.utf16 { bytes += [UInt8(u & 0xFF), UInt8(u >> 8)] }
        let e = event("", bytes: bytes)
        XCTAssertNil(e.text)
        let r = builtIn.redact(e)
        XCTAssertNil(r.event.raw)
        XCTAssertEqual(r.event.redactions, ["prc-id"])
        // And clean binary keeps its bytes.
        let clean = event("", bytes: [0x00, 0xFE, 0x17, 0x42])
        XCTAssertEqual(builtIn.redact(clean).event, clean)
    }

    // MARK: badges, operator, location, time

    func testBadgeIsPseudonymisedInEveryForm() throws {
        var e = event("0F00ABCDEF", hint: .em4100)
        e.tag = TagClassification(kind: .operatorBadge, subject: "0F00ABCDEF")
        e.operatorID = "11259375"
        let badge = try XCTUnwrap(e.decoded?.badge)
        let r = builtIn.redact(e)
        let p = pseudonyms.pseudonym(for: badge.display, kind: nil)
        XCTAssertNil(r.event.decoded?.badge)
        XCTAssertEqual(r.event.text, p)
        XCTAssertEqual(r.event.tag.subject, p)
        XCTAssertEqual(r.event.operatorID, p, "the operator field and the badge scan give one pseudonym")
        try assertAbsent("0F00ABCDEF", from: r.event)
        try assertAbsent(badge.display, from: r.event)
    }

    func testOperatorBadgeBySchemaGetsTheOperatorsPseudonym() throws {
        var e = event("OP-0042")
        e.tag = TagClassification(kind: .operatorBadge, schema: "operator-badge", subject: "0042")
        let r = builtIn.redact(e)
        let p = pseudonyms.pseudonym(for: "0042", kind: nil)
        XCTAssertEqual(r.event.tag.subject, p)
        XCTAssertEqual(r.event.text, "OP-" + p)
        XCTAssertEqual(r.event.redactions, ["badge"])
        var later = event("OBJ-1")
        later.operatorID = "0042"
        XCTAssertEqual(
            builtIn.redact(later).event.operatorID,
            p,
            "the sign-in and the scans after it join on one pseudonym"
        )
        // A subject-class scan is not touched by the operator rule.
        var subject = event("OBJ-0042")
        subject.tag = TagClassification(kind: .subject, schema: "obj", subject: "0042")
        XCTAssertEqual(builtIn.redact(subject).event, subject)
    }

    func testLocationCoarsenedToDecimalsOrGridAndTimeToBuckets() throws {
        var e = event("ACME-1")
        e.location = Location(lat: 31.230416, lon: 121.473701, alt: 12.3, accuracyM: 4)
        let r = builtIn.redact(e)
        XCTAssertEqual(r.event.location?.lat ?? 0, 31.2304, accuracy: 1e-9)
        XCTAssertEqual(r.event.location?.lon ?? 0, 121.4737, accuracy: 1e-9)
        XCTAssertGreaterThanOrEqual(r.event.location?.accuracyM ?? 0, 11, "accuracy is never better than the cell")
        XCTAssertEqual(r.event.redactions, ["location"])

        let grid = Redactor(
            rules: [
                RedactionRule(name: "grid", fields: ["location"], action: .coarsenLocation(decimals: nil, gridM: 1000))
            ],
            pseudonymizer: nil
        )
        var a = e
        var b = e
        a.location = Location(lat: 31.2301, lon: 121.4701)
        b.location = Location(lat: 31.2309, lon: 121.4708)
        XCTAssertEqual(
            grid.redact(a).event.location,
            grid.redact(b).event.location,
            "two points in one 1 km cell become the same point"
        )

        let time = Redactor(
            rules: [RedactionRule(name: "quarter-hour", fields: ["captured_at"], action: .coarsenTime(bucketS: 900))],
            pseudonymizer: nil
        )
        let t = time.redact(e).event
        XCTAssertEqual(t.capturedAt, "2023-11-14T22:00:00.000Z")
        XCTAssertEqual(t.monotonicNs % 900_000_000_000, 0)
    }

    // MARK: rule order, fail-closed

    func testEarlierRuleWinsAndLaterRulesDoNotRedactItsOutput() throws {
        let rules =
            [RedactionRule(name: "id-mask", detect: [.prcID], action: .mask(keepFirst: 6, keepLast: 0))]
            + RedactionRule.builtIn
        let r = Redactor(rules: rules, pseudonymizer: pseudonyms).redact(event("id \(prcID)"))
        XCTAssertEqual(r.event.text, "id 110105************")
        XCTAssertEqual(r.event.redactions, ["id-mask"])
    }

    func testAReplacementThatUncoversAnIDIsFollowedUp() throws {
        // Found by FuzzRedactor: the id touches a digit, so it is no id until the card mask
        // replaces that digit; the redactor must look again.
        let r = builtIn.redact(event("claimant 1101051ant 11010519491231002X3459491231002X345678"))
        try assertAbsent(prcID, from: r.event)
        let withoutPseudonyms = (r.event.text ?? "").replacingOccurrences(
            of: #"pn:[0-9a-f]{32}"#,
            with: "PN",
            options: .regularExpression
        )
        XCTAssertEqual(PersonalDataDetectors.detect(withoutPseudonyms), [])
        XCTAssertEqual(r.event.redactions, ["prc-id", "payment-card"])
    }

    func testAnIDUncoveredInAMemberNameOfARebuiltPayloadIsFollowedUp() throws {
        // Found by FuzzRedactor: the text is a JSON object whose member name holds an id that
        // touches a digit; redacting a value makes the text be rebuilt from the payload, whose
        // member names come back as they were, and the final pass masked the touching card
        // number but did not look again for the id that the mask uncovered.
        let text = #"{"owneant 11010519491231002X3459491231002X34r":{"qhone":"+86139123t5a.23t5a.b@exalple.cb@exa]"}}"#
        let r = builtIn.redact(event(text))
        try assertAbsent(prcID, from: r.event)
        let out = (r.event.text ?? "").replacingOccurrences(
            of: #"pn:[0-9a-f]{32}"#,
            with: "PN",
            options: .regularExpression
        )
        XCTAssertEqual(PersonalDataDetectors.detect(out), [], out)
    }

    func testAMatchRunningOutOfAnEarlierMaskIsStillRedacted() throws {
        // Found by FuzzRedactor: masking "+86139123" everywhere cut into an address that began
        // with the same digits; what is left of the address reaches out of the mask.
        let text = #"{"a":"+86139123t5a.b@exalple.co.-","b":"+86139123t5a.b@exalple.cb@exa]"}"#
        let r = builtIn.redact(event(text))
        let out = (r.event.text ?? "").replacingOccurrences(
            of: #"pn:[0-9a-f]{32}"#,
            with: "PN",
            options: .regularExpression
        )
        XCTAssertEqual(PersonalDataDetectors.detect(out), [], out)
    }

    func testHashWithoutSiteKeyDropsInsteadOfLeaking() throws {
        let r = Redactor(rules: RedactionRule.builtIn, pseudonymizer: nil).redact(event("id \(prcID)"))
        XCTAssertEqual(r.event.text, "id ")
        XCTAssertTrue(Redactor.needsSiteKey(RedactionRule.builtIn))
    }

    func testCleanEventIsUnchanged() throws {
        let e = event("ACME-00000001")
        XCTAssertEqual(builtIn.redact(e).event, e)
        XCTAssertTrue(builtIn.redact(e).steps.isEmpty)
    }

    func testRFC3339ParsesWhatItFormats() {
        for n: Int64 in [0, 1_700_000_000_123_000_000, 951_782_400_000_000_000, -86_400_000_000_000] {
            XCTAssertEqual(RFC3339.parseUnixNanos(RFC3339.format(unixNanos: n)), n)
        }
        XCTAssertNil(RFC3339.parseUnixNanos("2023-13-01T00:00:00Z"))
        XCTAssertEqual(RFC3339.parseUnixNanos("2027-01-01T00:00:00Z"), 1_798_761_600_000_000_000)
    }
}

/// GS1 mod-10 check digit, written out here so the test does not trust the code under test.
enum GS1Check {
    static func digit(_ body: String) -> Int {
        var sum = 0
        for (i, ch) in body.reversed().enumerated() { sum += Int(String(ch))! * (i % 2 == 0 ? 3 : 1) }
        return (10 - sum % 10) % 10
    }
}

final class HexTokenTests: XCTestCase {
    func testHexIdentifiersInTextAreNotNumbersButLabelledNumbersAre() {
        // An RFID TID read as text: 13 digits passing Luhn inside a hex token.
        XCTAssertEqual(PersonalDataDetectors.detect("E2801160600002"), [])
        XCTAssertEqual(PersonalDataDetectors.detect("tid E28011606000020A1B2C3D4E"), [])
        XCTAssertEqual(PersonalDataDetectors.detect("TEL13812345678").map(\.kind), [.mobileCN])
        XCTAssertEqual(PersonalDataDetectors.detect("ID11010519491231002X").map(\.kind), [.prcID])
        XCTAssertEqual(
            PersonalDataDetectors.detect("2801160600002").map(\.kind),
            [.paymentCard],
            "the same digits alone are card-shaped"
        )
    }
}
