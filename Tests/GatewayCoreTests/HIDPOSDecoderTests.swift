import GatewayCore
import XCTest

final class HIDPOSDecoderTests: XCTestCase {
    /// A HID POS scanner descriptor with the de-facto scanned-data report used by Honeywell,
    /// Datalogic and Access-IS engines (report id 2: length, 3 symbology identifier bytes,
    /// 56 data bytes, 2 vendor bytes, a "decode data continued" bit), written with the usages
    /// of the HID Point of Sale Usage Tables 1.02, page 0x8C.
    static let posDescriptor: [UInt8] = [
        0x05, 0x8C,  // Usage Page (Bar Code Scanner)
        0x09, 0x02,  // Usage (Bar Code Scanner)
        0xA1, 0x01,  // Collection (Application)
        0x85, 0x02,  //   Report ID (2)
        0x09, 0x12,  //   Usage (Scanned Data Report)
        0xA1, 0x02,  //   Collection (Logical)
        0x15, 0x00, 0x26, 0xFF, 0x00,  // Logical 0…255
        0x75, 0x08,  //     Report Size (8)
        0x95, 0x01,  //     Report Count (1)
        0x06, 0x00, 0xFF, 0x09, 0x01, 0x81, 0x02,  // vendor: data length, Input (Data,Var,Abs)
        0x05, 0x8C,  //     Usage Page (Bar Code Scanner)
        0x09, 0xFB, 0x09, 0xFC, 0x09, 0xFD,  // Usage (Symbology Identifier 1…3)
        0x95, 0x03, 0x81, 0x02,  // Report Count (3), Input
        0x09, 0xFE,  //     Usage (Decoded Data)
        0x95, 0x38, 0x82, 0x02, 0x01,  // Report Count (56), Input (Data,Var,Abs,Buffered Bytes)
        0x06, 0x00, 0xFF, 0x09, 0x02, 0x95, 0x02, 0x81, 0x02,  // 2 vendor bytes
        0x05, 0x8C, 0x09, 0xFF,  // Usage (Decode Data Continued)
        0x75, 0x01, 0x95, 0x01, 0x25, 0x01, 0x81, 0x02,  // 1 bit
        0x75, 0x07, 0x81, 0x03,  // 7 bits padding (Constant)
        0xC0, 0xC0,
    ]

    /// The boot keyboard descriptor of the gadget keyboard in shared/vm (not a POS scanner).
    static let keyboardDescriptor: [UInt8] = [
        0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x05, 0x07, 0x19, 0xE0, 0x29, 0xE7, 0x15, 0x00, 0x25, 0x01, 0x75, 0x01,
        0x95, 0x08, 0x81, 0x02, 0x95, 0x01, 0x75, 0x08, 0x81, 0x03, 0x95, 0x06, 0x75, 0x08, 0x15, 0x00, 0x25, 0x65,
        0x05, 0x07, 0x19, 0x00, 0x29, 0x65, 0x81, 0x00, 0xC0,
    ]

    static func report(_ data: String, aim: String = "]E0", more: Bool = false, length: Int? = nil) -> [UInt8] {
        var r = [UInt8](repeating: 0, count: 64)
        let d = Array(data.utf8)
        r[0] = 2
        r[1] = UInt8(length ?? d.count)
        for (i, b) in aim.utf8.enumerated() { r[2 + i] = b }
        for (i, b) in d.enumerated() { r[5 + i] = b }
        r[63] = more ? 1 : 0
        return r
    }

    func testDescriptorFieldsAndLayout() throws {
        let d = try HIDReportDescriptor(bytes: Self.posDescriptor)
        XCTAssertTrue(d.isBarcodeScanner)
        XCTAssertTrue(d.usesReportIDs)
        let dec = try HIDPOSDecoder(descriptor: d)
        XCTAssertEqual(
            dec.layout,
            .init(
                reportID: 2,
                usesReportIDs: true,
                lengthBit: 0,
                symbologyBits: [8, 16, 24],
                dataBit: 32,
                dataBytes: 56,
                continuedBit: 62 * 8
            )
        )
    }

    func testSingleReportScanWithSymbology() throws {
        var dec = try HIDPOSDecoder(descriptor: HIDReportDescriptor(bytes: Self.posDescriptor))
        XCTAssertEqual(
            dec.feed(report: Self.report("4006381333931")),
            [.scan(bytes: Array("4006381333931".utf8), symbology: "]E0")]
        )
    }

    func testDataSpreadOverSeveralReportsIsJoined() throws {
        // As in the Access-IS manual's example: a 60-byte QR payload in two reports.
        let payload = String(repeating: "M1GATHERGOOD/MICHAEL", count: 3)
        var dec = try HIDPOSDecoder(descriptor: HIDReportDescriptor(bytes: Self.posDescriptor))
        let first = String(payload.prefix(56))
        let rest = String(payload.dropFirst(56))
        XCTAssertEqual(dec.feed(report: Self.report(first, aim: "]Q1", more: true)), [])
        XCTAssertEqual(
            dec.feed(report: Self.report(rest, aim: "]Q1")),
            [.scan(bytes: Array(payload.utf8), symbology: "]Q1")]
        )
    }

    func testOtherReportIDsAndShortReportsAreIgnored() throws {
        var dec = try HIDPOSDecoder(descriptor: HIDReportDescriptor(bytes: Self.posDescriptor))
        XCTAssertEqual(dec.feed(report: [4, 1, 2, 3]), [])
        XCTAssertEqual(dec.feed(report: [2, 1, 2]), [])
        XCTAssertEqual(dec.ignoredReports, 2)
        XCTAssertEqual(dec.feed(report: Self.report("X")), [.scan(bytes: [0x58], symbology: "]E0")])
    }

    func testEndlessContinuationIsBounded() throws {
        var dec = try HIDPOSDecoder(descriptor: HIDReportDescriptor(bytes: Self.posDescriptor), maxLength: 100)
        for _ in 0..<10 {
            XCTAssertEqual(dec.feed(report: Self.report(String(repeating: "A", count: 56), more: true)), [])
        }
        XCTAssertEqual(dec.feed(report: Self.report("B")), [.overlong(length: 101)])
        XCTAssertEqual(dec.feed(report: Self.report("C")), [.scan(bytes: [0x43], symbology: "]E0")])
    }

    func testKeyboardIsNotAPOSScanner() throws {
        let d = try HIDReportDescriptor(bytes: Self.keyboardDescriptor)
        XCTAssertFalse(d.isBarcodeScanner)
        XCTAssertEqual(d.applications.map(\.page), [0x01])
        XCTAssertEqual(d.inputFields.map(\.bitOffset), [0, 8, 16])
        XCTAssertThrowsError(try HIDPOSDecoder(descriptor: d)) {
            XCTAssertEqual($0 as? HIDPOSDecoder.LayoutError, .notABarcodeScanner)
        }
    }

    func testMalformedDescriptorsAreErrorsNotCrashes() {
        XCTAssertThrowsError(try HIDReportDescriptor(bytes: [0x05]))
        XCTAssertThrowsError(try HIDReportDescriptor(bytes: [0xA1, 0x01]))
        XCTAssertThrowsError(try HIDReportDescriptor(bytes: [0xC0]))
        XCTAssertThrowsError(try HIDReportDescriptor(bytes: [0xFE, 0x01, 0x00]))
    }
}
