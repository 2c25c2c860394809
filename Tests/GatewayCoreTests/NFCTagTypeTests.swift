import GatewayCore
import XCTest

final class NFCTagTypeTests: XCTestCase {
    /// ATQA, SAK and GET_VERSION of the tags kiosks meet (NXP AN10833 and the data sheets).
    func testTagTypeTable() {
        let ntag: [UInt8] = [0x00, 0x04, 0x04, 0x02, 0x01, 0x00]
        let cases: [(UInt16, UInt8, [UInt8]?, NFCTagType)] = [
            (0x0044, 0x00, ntag + [0x0F, 0x03], .ntag213),
            (0x0044, 0x00, ntag + [0x11, 0x03], .ntag215),
            (0x0044, 0x00, ntag + [0x13, 0x03], .ntag216),
            (0x0044, 0x00, ntag + [0x15, 0x03], .type2),
            (0x0044, 0x00, [0x00, 0x04, 0x03, 0x01, 0x01, 0x00, 0x0B, 0x03], .mifareUltralight),
            (0x0044, 0x00, [], .mifareUltralight),
            (0x0044, 0x00, nil, .type2),
            (0x0044, 0x00, [0x00, 0x05, 0x04, 0x02, 0x01, 0x00, 0x0F, 0x03], .type2),
            (0x0004, 0x08, nil, .mifareClassic1K),
            (0x0002, 0x18, nil, .mifareClassic4K),
            (0x0004, 0x09, nil, .mifareMini),
            (0x0344, 0x20, nil, .desfire),
            (0x0004, 0x20, nil, .isoDEP),
            (0x0004, 0x28, nil, .isoDEP),
            (0x0004, 0x01, nil, .unknown),
        ]
        for (atqa, sak, version, expected) in cases {
            XCTAssertEqual(NFCTagType.identify(atqa: atqa, sak: sak, version: version), expected, "\(atqa) \(sak)")
        }
        XCTAssertEqual(
            NFCTagType.allCases.filter(\.isType2),
            [.ntag213, .ntag215, .ntag216, .mifareUltralight, .type2]
        )
        XCTAssertEqual(NFCTagType.mifareClassic1K.rawValue, "mifare_classic_1k")
    }

    func testInListPassiveTargetAnswersWithEachUIDSize() throws {
        // D5 4B 01 01 ATQA SAK len UID, as TOOLCHAIN.md gives it for an NTAG.
        let seven: [UInt8] = [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]
        let t = try ISO14443ATarget.parseInListPassiveTarget([0x01, 0x01, 0x00, 0x44, 0x00, 0x07] + seven)
        XCTAssertEqual(t, [ISO14443ATarget(uid: seven, atqa: 0x0044, sak: 0x00)])
        XCTAssertEqual(t.first?.type, .type2)
        let four = try ISO14443ATarget.parseInListPassiveTarget([0x01, 0x01, 0x00, 0x04, 0x08, 0x04, 1, 2, 3, 4])
        XCTAssertEqual(four.first?.type, .mifareClassic1K)
        let ten = [UInt8](1...10)
        let ats: [UInt8] = [0x06, 0x75, 0x77, 0x81, 0x02, 0x80]
        // A DESFire with a 10-byte UID and its ATS, and a Classic 4K: two targets.
        let two = try ISO14443ATarget.parseInListPassiveTarget(
            [0x02, 0x01, 0x03, 0x44, 0x20, 0x0A] + ten + ats + [0x02, 0x00, 0x02, 0x18, 0x04, 9, 8, 7, 6]
        )
        XCTAssertEqual(two.map(\.type), [.desfire, .mifareClassic4K])
        XCTAssertEqual(two.first?.ats, ats)
        XCTAssertEqual(two.first?.uid, ten)
        XCTAssertEqual(two.map(\.number), [1, 2])
        XCTAssertEqual(try ISO14443ATarget.parseInListPassiveTarget([0x00]), [])
    }

    func testBadPollAnswersAreTyped() {
        func error(_ p: [UInt8]) -> ISO14443ATargetError? {
            do {
                _ = try ISO14443ATarget.parseInListPassiveTarget(p)
                return nil
            } catch { return error }
        }
        XCTAssertEqual(error([]), .truncated)
        XCTAssertEqual(error([0x01, 0x01, 0x00, 0x44, 0x00, 0x05, 1, 2, 3, 4, 5]), .badUIDLength(5))
        XCTAssertEqual(error([0x01, 0x01, 0x00, 0x44, 0x00, 0x07, 1, 2, 3]), .truncated)
        XCTAssertEqual(error([0x03]), .tooManyTargets(3))
        XCTAssertEqual(error([0x01, 0x01, 0x00, 0x04, 0x08, 0x04, 1, 2, 3, 4, 0xAA]), .trailingBytes(1))
        XCTAssertEqual(error([0x01, 0x01, 0x03, 0x44, 0x20, 0x04, 1, 2, 3, 4, 0x00]), .badATSLength)
        XCTAssertEqual(error([0x01, 0x01, 0x03, 0x44, 0x20, 0x04, 1, 2, 3, 4, 0x05, 0x75]), .truncated)
    }
}
