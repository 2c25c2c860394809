import GatewayCore
import XCTest

final class BinaryFramerTests: XCTestCase {
    /// An EM4100 frame as an RDM6300 module sends it: STX, "0F00A1B2C3" (version 0F, id
    /// 00A1B2C3), checksum 0F^00^A1^B2^C3 = 0xDF as "DF", ETX.
    let em = [0x02] + Array("0F00A1B2C3DF".utf8) + [0x03]

    func testRDM6300DatasheetExample() {
        // The frame in the RDM6300 module's datasheet: 02 "62E3086CED" "08" 03.
        var f = BinaryFramer(format: .em4100)
        XCTAssertEqual(f.feed([0x02] + Array("62E3086CED08".utf8) + [0x03]), [.scan(Array("62E3086CED".utf8))])
    }

    func testEM4100FrameYieldsTheTenHexDigits() {
        var f = BinaryFramer(format: .em4100)
        XCTAssertEqual(f.feed(em), [.scan(Array("0F00A1B2C3".utf8))])
    }

    func testEM4100SplitAcrossReadsWithNoiseBetween() {
        var f = BinaryFramer(format: .em4100)
        var out: [BinaryFramer.Output] = []
        out += f.feed([0xFF, 0x00] + em.prefix(5))
        out += f.feed(em.dropFirst(5))
        out += f.feed([0x41] + em)
        XCTAssertEqual(
            out,
            [.noise(bytes: 2), .scan(Array("0F00A1B2C3".utf8)), .noise(bytes: 1), .scan(Array("0F00A1B2C3".utf8))]
        )
    }

    func testEM4100BadChecksumIsAMisreadNotAScan() {
        var f = BinaryFramer(format: .em4100)
        var bad = em
        bad[12] = UInt8(ascii: "E")  // checksum DE
        XCTAssertEqual(f.feed(bad), [.badChecksum])
        XCTAssertEqual(f.feed([0x02] + Array("0F00A1B2XXDF".utf8) + [0x03]), [.noise(bytes: 14)])
    }

    func testSTXETXWithLengthAndLRC() {
        var o = BinaryFramer.Options()
        o.lengthByte = true
        o.checksum = .lrc
        var f = BinaryFramer(format: .stxEtx(o))
        let data: [UInt8] = [0x31, 0x03, 0x32]  // contains the ETX value: the length byte keeps it data
        let lrc = BinaryFramer.checksum(.lrc, data)
        XCTAssertEqual(UInt8(truncatingIfNeeded: data.reduce(0, &+) &+ lrc), 0)
        XCTAssertEqual(f.feed([0x02, 3] + data + [lrc, 0x03]), [.scan(data)])
        XCTAssertEqual(f.feed([0x02, 3] + data + [lrc &+ 1, 0x03]), [.badChecksum])
    }

    func testChecksumKinds() {
        XCTAssertEqual(BinaryFramer.checksum(.xor, [0x0F, 0x00, 0xA1, 0xB2, 0xC3]), 0xDF)
        XCTAssertEqual(BinaryFramer.checksum(.sum8, [0xFF, 0x02]), 0x01)
        XCTAssertEqual(BinaryFramer.checksum(.lrc, [0x01, 0x02]), 0xFD)
    }

    func testOverlongFrameIsBounded() {
        var o = BinaryFramer.Options()
        o.maxLength = 4
        var f = BinaryFramer(format: .stxEtx(o))
        XCTAssertEqual(
            f.feed([0x02] + [UInt8](repeating: 0x41, count: 100) + [0x03]),
            [.overlong(length: 5), .noise(bytes: 96)]
        )
        XCTAssertEqual(f.feed([0x02, 0x41, 0x03]), [.scan([0x41])])
    }
}
