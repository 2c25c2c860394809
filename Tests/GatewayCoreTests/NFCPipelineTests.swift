import Foundation
import GatewayCore
import XCTest

/// What the pure pipeline makes of a tap: its config, the tag named from a PC/SC ATR, the
/// decoded and classified event, and the UID pseudonymised like a badge.
final class NFCPipelineTests: XCTestCase {
    let minimal = """
        [device]
        id = "term-1"
        [server]
        url = "https://cases.example.net/"

        """

    func parse(_ s: String) throws -> GatewayConfig {
        try GatewayConfig.parse(toml: minimal + s, directory: "/etc/gatewayd")
    }

    func testNFCReaderConfigDefaultsAndErrors() throws {
        let pcsc = try parse("[[reader]]\nid = \"tap0\"\nkind = \"nfc\"\n").readers[0]
        XCTAssertEqual(pcsc.kind, .nfc(.init(backend: .pcsc(readerName: "*"), feedback: true)))
        XCTAssertNil(pcsc.subsystem, "pcscd owns the device")
        let usb = try parse(
            "[[reader]]\nid = \"tap1\"\nkind = \"nfc\"\nbackend = \"usb\"\nfeedback = \"off\"\n"
                + "[reader.match]\nvendor = \"04cc\"\nproduct = \"2533\"\n"
        ).readers[0]
        XCTAssertEqual(usb.kind, .nfc(.init(backend: .usb, feedback: false)))
        XCTAssertEqual(usb.subsystem, "usb")
        XCTAssertEqual(ReaderSelection.needs(usb), "rw")
        let named = try parse("[[reader]]\nid = \"t\"\nkind = \"nfc\"\nreader = \"ACS ACR122U*\"\n").readers[0]
        XCTAssertEqual(named.kind, .nfc(.init(backend: .pcsc(readerName: "ACS ACR122U*"))))

        for (bad, key) in [
            ("backend = \"nfcpy\"", "backend"), ("feedback = \"loud\"", "feedback"), ("path = \"/dev/x\"", "path"),
        ] {
            XCTAssertThrowsError(try parse("[[reader]]\nid = \"t\"\nkind = \"nfc\"\n\(bad)\n")) { e in
                guard case .invalid(let k, _, _) = e as? ConfigError else { return XCTFail("\(e)") }
                XCTAssertTrue(k.hasSuffix(key), "\(k)")
            }
        }
        XCTAssertThrowsError(
            try parse("[[reader]]\nid = \"t\"\nkind = \"nfc\"\n[reader.match]\nvendor = \"072f\"\n"),
            "a PC/SC reader is chosen by name, not by a USB rule"
        )
    }

    func testTheUSBBackendTakesTheReadersItsDriverKnowsWithoutARule() throws {
        let r = try parse("[[reader]]\nid = \"t\"\nkind = \"nfc\"\nbackend = \"usb\"\n").readers[0]
        let acr = DeviceDescription(devnode: "/dev/bus/usb/001/004", subsystem: "usb", vendor: 0x072F, product: 0x2200)
        let hub = DeviceDescription(devnode: "/dev/bus/usb/001/001", subsystem: "usb", vendor: 0x1D6B, product: 0x0002)
        XCTAssertNil(ReaderSelection.whyNot(r, acr, resolvedPath: nil))
        XCTAssertEqual(
            ReaderSelection.whyNot(r, hub, resolvedPath: nil),
            "1d6b:0002 is not an NFC reader gatewayd's USB driver knows"
        )
    }

    func testPCSCPart3ATRsNameTheCard() {
        func atr(_ name: [UInt8]) -> [UInt8] {
            var a: [UInt8] = [0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06, 0x03] + name
            a += [0, 0, 0, 0]
            return a + [a.dropFirst().reduce(0, ^)]
        }
        XCTAssertEqual(PCSCATR.tagType(atr([0x00, 0x03])), .type2, "Ultralight and NTAG: the CC tells them apart")
        XCTAssertEqual(PCSCATR.tagType(atr([0x00, 0x01])), .mifareClassic1K)
        XCTAssertEqual(PCSCATR.tagType(atr([0x00, 0x02])), .mifareClassic4K)
        XCTAssertEqual(PCSCATR.tagType(atr([0x00, 0x26])), .mifareMini)
        XCTAssertEqual(PCSCATR.tagType(atr([0x12, 0x34])), .unknown)
        XCTAssertEqual(PCSCATR.tagType([0x3B, 0x81, 0x80, 0x01, 0x80, 0x80]), .desfire)
        XCTAssertEqual(PCSCATR.tagType([0x3B, 0x88, 0x80, 0x01, 0, 0, 0, 0, 0x77, 0x81, 0x71, 0x00, 0x12]), .isoDEP)
        XCTAssertEqual(PCSCATR.tagType([]), .unknown)
        XCTAssertEqual(PCSCATR.tagType([0x3B]), .unknown)
    }

    static let siteKey = [UInt8](repeating: 7, count: 32)

    func sealer(schemas: [LabelSchema] = [], roles: [String: TagClass] = [:]) throws -> CaptureSealer {
        CaptureSealer(
            classifier: TagClassifier(schemas: schemas, readerRoles: roles),
            sealer: EnvelopeSealer(
                device: "term-1",
                deviceKey: .init(),
                serverKey: try .init(rawRepresentation: [UInt8](repeating: 9, count: 32))
            ),
            redactor: Redactor(rules: RedactionRule.builtIn, pseudonymizer: Pseudonymizer(keyBytes: Self.siteKey))
        )
    }

    let tap = NFCTap(uid: "04A1B2C3D4E5F6", type: .ntag215, atqa: "0044", sak: "00")

    func scan(_ bytes: [UInt8], nfc: NFCTap?, failure: Misread? = nil) -> Scan {
        Scan(
            readerID: "tap0",
            bytes: bytes,
            wallNanos: 1_800_000_000_000_000_000,
            monotonicNanos: 1,
            nfc: nfc,
            readFailure: failure
        )
    }

    func testADigitalLinkOnATagIsASubjectLikeAPrintedOne() throws {
        let link = "https://id.gs1.org/01/09506000134352/21/ABC123"
        let message = NFCTapReaderTests.uriMessage("id.gs1.org/01/09506000134352/21/ABC123")
        let gtin = try LabelSchema(name: "gtin", pattern: ".*", kind: .subject, decodedFormat: "gs1", subjectAI: "01")
        let s = try sealer(schemas: [gtin])
        let (decoded, misread, tag) = s.interpret(scan(message, nfc: tap))
        XCTAssertNil(misread)
        XCTAssertEqual(decoded?.format, .gs1DigitalLink)
        XCTAssertEqual(decoded?.ndef?.first?.uri, link)
        XCTAssertEqual(decoded?.gs1?.first { $0.ai == "21" }?.value, "ABC123")
        XCTAssertEqual(tag, TagClassification(kind: .subject, schema: "gtin", subject: "09506000134352"))
        // The same link printed as a QR code classifies the same.
        XCTAssertEqual(s.interpret(scan(Array(link.utf8), nfc: nil)).2, tag)
        // A schema over the text sees the URI of the record.
        let site = try LabelSchema(
            name: "site",
            pattern: "https://kiosk\\.example/c/(?<subject>[0-9]+)",
            kind: .subject
        )
        let plain = NFCTapReaderTests.uriMessage("kiosk.example/c/4711")
        XCTAssertEqual(try sealer(schemas: [site]).interpret(scan(plain, nfc: tap)).2.subject, "4711")
    }

    func testATornReadIsAMisreadWhateverWasRead() throws {
        let failure = Misread(format: "nfc", reason: "torn read: the tag was taken away after 12 byte(s); tap again")
        let (decoded, misread, tag) = try sealer().interpret(scan([], nfc: tap, failure: failure))
        XCTAssertNil(decoded)
        XCTAssertEqual(misread, failure)
        XCTAssertEqual(tag, .unknown)
        let e = try sealer().event(scan([], nfc: tap, failure: failure), id: "x", seq: 1)
        XCTAssertEqual(e.misread, failure)
        XCTAssertEqual(e.nfc?.type, .ntag215)
    }

    func testTheUIDIsPseudonymisedLikeABadgeWhereverItOccurs() throws {
        let pseudonym = Pseudonymizer(keyBytes: Self.siteKey).pseudonym(for: tap.uid, kind: nil)
        // A door reader: a UID-only tap is an operator signing in.
        let s = try sealer(roles: ["tap0": .operatorBadge])
        let e = s.event(scan(Array(tap.uid.utf8), nfc: tap), id: "x", seq: 1)
        XCTAssertEqual(e.nfc?.uid, pseudonym)
        XCTAssertEqual(e.tag.kind, .operatorBadge)
        XCTAssertEqual(e.tag.subject, pseudonym, "the sign-in joins the operator field of later scans")
        XCTAssertEqual(e.text, pseudonym)
        XCTAssertEqual(e.redactions, ["badge"])
        let json = String(decoding: try e.jsonBytes(), as: UTF8.self)
        XCTAssertFalse(json.contains(tap.uid), json)
        XCTAssertFalse(json.contains(Data(tap.uid.utf8).base64EncodedString()), json)
        // Configurable: a site that wants UIDs of its own asset tags in clear says so first.
        let keep = Redactor(rules: [RedactionRule(name: "keep", fields: [], action: .drop)], pseudonymizer: nil)
        XCTAssertEqual(keep.redact(s.unredacted(scan(Array(tap.uid.utf8), nfc: tap), id: "x", seq: 1)).event.nfc, tap)
    }
}
