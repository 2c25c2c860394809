import GatewayCore
import XCTest

final class BadgeAndNDEFTests: XCTestCase {
    // MARK: EM4100 / Wiegand

    func testEM4100() throws {
        // The RDM6300 datasheet frame's data "62E3086CED": version 0x62, id 0xE3086CED.
        let b = try BadgeIDs.em4100("62E3086CED")
        XCTAssertEqual(b.card, 0xE308_6CED)
        XCTAssertEqual(b.display, "3808980205")
        XCTAssertEqual(b.facility, 0x62)
        XCTAssertThrowsError(try BadgeIDs.em4100("62E3086C")) {
            XCTAssertEqual($0 as? BadgeIDError, .wrongLength(expected: "10 hex digits"))
        }
        XCTAssertThrowsError(try BadgeIDs.em4100("62E3086CEZ")) { XCTAssertEqual($0 as? BadgeIDError, .notHex) }
    }

    /// An independent Wiegand encoder: parity bits around facility + card.
    func wiegand26(facility: UInt64, card: UInt64) -> UInt64 {
        let data = facility << 16 | card
        let first = data >> 12
        let second = data & 0xFFF
        let even: UInt64 = first.nonzeroBitCount % 2 == 0 ? 0 : 1
        let odd: UInt64 = second.nonzeroBitCount % 2 == 0 ? 1 : 0
        return even << 25 | data << 1 | odd
    }

    func testWiegand26RoundTripsAndParityIsChecked() throws {
        for (f, c) in [(0, 0), (1, 1), (255, 65535), (42, 12345), (128, 32768)] as [(UInt64, UInt64)] {
            let raw = wiegand26(facility: f, card: c)
            let b = try BadgeIDs.wiegand(raw, bits: 26)
            XCTAssertEqual(b.facility, UInt32(f))
            XCTAssertEqual(b.card, c)
            XCTAssertEqual(b.display, "\(f):\(c)")
            // Any single flipped bit breaks a parity.
            for bit in 0..<26 {
                XCTAssertThrowsError(try BadgeIDs.wiegand(raw ^ (1 << UInt64(bit)), bits: 26)) {
                    XCTAssertEqual($0 as? BadgeIDError, .parity)
                }
            }
        }
        // HID H10301 example frequently printed on cards: facility 18, card 1234.
        let text = "W26:" + String(wiegand26(facility: 18, card: 1234), radix: 16)
        XCTAssertEqual(try BadgeIDs.wiegand(text: text).display, "18:1234")
    }

    func testWiegand34() throws {
        let data: UInt64 = 0xABCD << 16 | 0x1234
        let first = data >> 16
        let second = data & 0xFFFF
        let raw = UInt64(first.nonzeroBitCount % 2) << 33 | data << 1 | UInt64(second.nonzeroBitCount % 2 == 0 ? 1 : 0)
        let b = try BadgeIDs.wiegand(raw, bits: 34)
        XCTAssertEqual(b.facility, 0xABCD)
        XCTAssertEqual(b.card, 0x1234)
        XCTAssertThrowsError(try BadgeIDs.wiegand(raw, bits: 35))
        XCTAssertThrowsError(try BadgeIDs.wiegand(1 << 30, bits: 26))
    }

    // MARK: NDEF

    func testURIRecordWithPrefixCode() throws {
        // NFC Forum RTD URI 1.0 example: "https://www." abbreviated as 0x02.
        let msg: [UInt8] = [0xD1, 0x01, 0x0D, 0x55, 0x02] + Array("example.com/".utf8)
        let r = try NDEFMessage.parse(msg)
        XCTAssertEqual(
            r,
            [
                NDEFRecord(
                    tnf: 1,
                    type: "U",
                    uri: "https://www.example.com/",
                    text: nil,
                    language: nil,
                    payloadLength: 13
                )
            ]
        )
    }

    func testTextRecordsUTF8AndUTF16() throws {
        // RTD Text 1.0: status byte (bit 7 = UTF-16, bits 5…0 = language length), language, text.
        let utf8: [UInt8] = [0x91, 0x01, 0x08, 0x54, 0x02] + Array("enHello".utf8)
        let utf16Body: [UInt8] = [0xFE, 0xFF, 0x00, 0x48, 0x00, 0xE9]  // BOM, "Hé"
        let utf16: [UInt8] = [0x51, 0x01, UInt8(3 + utf16Body.count), 0x54, 0x82] + Array("fr".utf8) + utf16Body
        let r = try NDEFMessage.parse(utf8 + utf16)
        XCTAssertEqual(r.map(\.text), ["Hello", "Hé"])
        XCTAssertEqual(r.map(\.language), ["en", "fr"])
    }

    func testLongRecordAndIDField() throws {
        let payload = [UInt8(0x04)] + Array(String(repeating: "a", count: 300).utf8)
        var msg: [UInt8] = [0xC9, 0x01, 0x00, 0x00, 0x01, 0x2D, 0x02, 0x55, 0x69, 0x64]  // MB ME IL, TNF 1, long length
        msg += payload
        let r = try NDEFMessage.parse(msg)
        XCTAssertEqual(r[0].uri?.count, 8 + 300)
        XCTAssertEqual(r[0].payloadLength, 301)
    }

    func testMalformedMessagesAreErrors() {
        XCTAssertThrowsError(try NDEFMessage.parse([0xD1, 0x01, 0x20, 0x55, 0x02])) {
            XCTAssertEqual($0 as? NDEFError, .truncated)
        }
        XCTAssertThrowsError(try NDEFMessage.parse([0xD1, 0x01, 0x02, 0x55, 0x30, 0x41])) {
            XCTAssertEqual($0 as? NDEFError, .badURIPrefix(0x30))
        }
        XCTAssertThrowsError(try NDEFMessage.parse([0xF1, 0x01, 0x01, 0x55, 0x00])) {
            XCTAssertEqual($0 as? NDEFError, .chunkedUnsupported)
        }
        XCTAssertThrowsError(try NDEFMessage.parse([])) { XCTAssertEqual($0 as? NDEFError, .empty) }
        XCTAssertThrowsError(try NDEFMessage.parse([0xC1, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x55]))
    }
}
