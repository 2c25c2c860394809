import Crypto
import GatewayCore
import XCTest

final class TagDecoderTests: XCTestCase {
    let decoder = TagDecoder(referenceYear: 2026)

    func ok(
        _ s: String,
        symbology: String? = nil,
        hint: TagDecoder.Hint = .auto,
        file: StaticString = #filePath,
        line: UInt = #line
    ) -> DecodedTag? {
        switch decoder.decode(Array(s.utf8), symbology: symbology, hint: hint) {
        case .success(let d): return d
        case .failure(let m):
            XCTFail("misread: \(m)", file: file, line: line)
            return nil
        }
    }

    func misread(_ s: String, symbology: String? = nil, hint: TagDecoder.Hint = .auto) -> Misread? {
        if case .failure(let m) = decoder.decode(Array(s.utf8), symbology: symbology, hint: hint) { return m }
        return nil
    }

    func testAIMPrefixSelectsGS1AndIsStripped() {
        let d = ok("]C10109506000134352\u{1D}10ABC")
        XCTAssertEqual(d?.format, .gs1)
        XCTAssertEqual(d?.symbology, "]C1")
        XCTAssertEqual(d?.symbologyName, "GS1-128")
        XCTAssertEqual(d?.gs1?.map(\.ai), ["01", "10"])
        XCTAssertEqual(ok("]Q3011234567890123115260101", symbology: nil)?.symbologyName, "GS1 QR Code")
    }

    func testReportedSymbologyFromHIDPOSOrZbar() {
        XCTAssertEqual(ok("4006381333931", symbology: "]E0")?.gs1?.first?.value, "04006381333931")
        XCTAssertEqual(misread("4006381333932", symbology: "]E0")?.format, "gtin")
        XCTAssertEqual(ok("96385074", symbology: "]E4")?.symbologyName, "EAN-8")
    }

    func testAutoDetection() {
        XCTAssertEqual(ok("https://id.gs1.org/01/09506000134352")?.format, .gs1DigitalLink)
        XCTAssertEqual(ok("https://example.com/about")?.format, .text, "a URL without a GS1 key is just text")
        XCTAssertEqual(ok("(01)09506000134352(21)X1")?.format, .gs1)
        XCTAssertEqual(ok("3074257BF7194E4000001A85")?.epc?.scheme, "sgtin-96")
        XCTAssertEqual(ok("09506000134352")?.format, .gtin)
        XCTAssertEqual(ok("ACME-00012345")?.format, .text)
        XCTAssertEqual(
            ok("1234567890123")?.format,
            .text,
            "13 digits with a wrong check digit and no symbology is just a number"
        )
    }

    func testHintsForRFIDReaders() {
        XCTAssertEqual(ok("62E3086CED", hint: .em4100)?.badge?.card, 0xE308_6CED)
        XCTAssertEqual(misread("62E30", hint: .em4100)?.format, "em4100")
        XCTAssertEqual(
            ok("D1010D55026578616D706C652E636F6D2F", hint: .ndef)?.ndef?.first?.uri,
            "https://www.example.com/"
        )
        XCTAssertEqual(ok("ACME-1", hint: .text)?.format, .text)
        XCTAssertEqual(misread("E2801160600002", hint: .epc)?.format, "epc")
    }

    func testMisreadsCarryTheReason() {
        let m = misread("]C10109506000134353")
        XCTAssertEqual(m?.format, "gs1")
        XCTAssertTrue(m?.reason.contains("check digit") == true, m?.reason ?? "")
        XCTAssertEqual(misread("https://id.gs1.org/01/09506000134352?17=201301")?.format, "gs1-digital-link")
    }

    func testBinaryIsNeverACrash() {
        for bytes: [UInt8] in [[], [0xFF], [0x30] + [UInt8](repeating: 0xFF, count: 11), [0xD1, 0x01], [0x5D, 0x43]] {
            _ = decoder.decode(bytes)
        }
    }

    func testSchemasOnDecodedContentTakeTheSubjectFromAnAI() throws {
        let gtin = try LabelSchema(
            name: "gtin-item",
            pattern: "(?s).*",
            kind: .subject,
            decodedFormat: "gs1",
            subjectAI: "01"
        )
        let epc = try LabelSchema(name: "uhf-asset", pattern: "(?s).*", kind: .subject, decodedFormat: "epc")
        let c = TagClassifier(schemas: [gtin, epc])
        func classify(_ s: String) -> TagClassification {
            let d = try? decoder.decode(Array(s.utf8)).get()
            return try! c.classifyChecked(Array(s.utf8), decoded: d).get()
        }
        XCTAssertEqual(
            classify("]C10109506000134352\u{1D}10LOT"),
            TagClassification(kind: .subject, schema: "gtin-item", subject: "09506000134352")
        )
        XCTAssertEqual(classify("https://id.gs1.org/01/09506000134352/21/7").subject, "09506000134352")
        XCTAssertEqual(
            classify("3074257BF7194E4000001A85"),
            TagClassification(kind: .subject, schema: "uhf-asset", subject: "urn:epc:id:sgtin:0614141.812345.6789")
        )
        XCTAssertEqual(classify("]C100106141412345678908"), .unknown, "an SSCC has no (01)")
        XCTAssertEqual(classify("hello"), .unknown)
    }

    func testCaptureSealerMarksMisreadsAndDoesNotClassifyThem() throws {
        let classifier = TagClassifier(schemas: [try LabelSchema(name: "any", pattern: ".*", kind: .subject)])
        let sealer = CaptureSealer(
            classifier: classifier,
            sealer: EnvelopeSealer(
                device: "d",
                deviceKey: .init(),
                serverKey: try .init(rawRepresentation: [UInt8](repeating: 9, count: 32))
            ),
            redactor: Redactor(rules: RedactionRule.builtIn, pseudonymizer: nil)
        )
        let good = sealer.interpret(
            Scan(readerID: "r", bytes: Array("]C10109506000134352".utf8), wallNanos: 0, monotonicNanos: 0)
        )
        XCTAssertEqual(good.0?.format, .gs1)
        XCTAssertNil(good.1)
        XCTAssertEqual(good.2.kind, .subject)
        let bad = sealer.interpret(
            Scan(readerID: "r", bytes: Array("]C10109506000134353".utf8), wallNanos: 0, monotonicNanos: 0)
        )
        XCTAssertNil(bad.0)
        XCTAssertEqual(bad.1?.format, "gs1")
        XCTAssertEqual(bad.2, .unknown)
    }
}
