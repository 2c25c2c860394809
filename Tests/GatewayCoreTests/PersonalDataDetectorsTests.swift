import GatewayCore
import XCTest

final class PersonalDataDetectorsTests: XCTestCase {
    func kinds(_ s: String) -> [PersonalDataKind] { PersonalDataDetectors.detect(s).map(\.kind) }

    func testPRCIdentityNumbers() {
        // The GB 11643-1999 example number 11010519491231002X (check character X).
        XCTAssertEqual(PersonalDataDetectors.prcCheckCharacter(Array("11010519491231002")), "X")
        XCTAssertEqual(kinds("ID 11010519491231002X ok"), [.prcID])
        XCTAssertEqual(kinds("11010519491231002x"), [.prcID])
        XCTAssertEqual(kinds("110105194912310021"), [], "wrong check character")
        XCTAssertEqual(kinds("11010519491331002X"), [], "month 13")
        XCTAssertEqual(kinds("110105491231002"), [.prcID], "15-digit legacy form")
        XCTAssertEqual(kinds("110105491331002"), [])
    }

    func testPhones() {
        XCTAssertEqual(kinds("call 13800138000"), [.mobileCN])
        XCTAssertEqual(kinds("+8613800138000"), [.mobileCN])
        XCTAssertEqual(kinds("008613800138000"), [.mobileCN])
        XCTAssertEqual(kinds("12800138000"), [], "12x is not a mobile prefix")
        XCTAssertEqual(kinds("+442071838750"), [.e164])
        XCTAssertEqual(kinds("+1234"), [], "too short for E.164")
    }

    func testCardsAndEmail() {
        XCTAssertEqual(kinds("4111 1111 1111 1111"), [.paymentCard])
        XCTAssertEqual(kinds("4111-1111-1111-1111"), [.paymentCard])
        XCTAssertEqual(kinds("4111111111111112"), [], "Luhn fails")
        XCTAssertEqual(kinds("mail a.b+c@example.co.uk now"), [.email])
        XCTAssertEqual(kinds("not@mail"), [])
        XCTAssertEqual(PersonalDataDetectors.detect("x 13800138000 y").first?.range, 2..<13)
    }

    func testCommonTagIdentifiersAreNotPersonalData() {
        // GTIN-13/14, SSCC, GLN, an EPC in hex, a GS1 element string: none may be detected.
        for tag in [
            "4006381333931", "09506000134352", "106141412345678908", "9506000164908",
            "3074257BF7194E4000001A85", "0109506000134352\u{1D}10ABC", "urn:epc:id:sgtin:0614141.812345.6789",
        ] {
            XCTAssertEqual(kinds(tag), [], tag)
        }
    }
}

extension PersonalDataDetectorsTests {
    /// 100,000 random texts over an alphabet built to hit every detector and its edges
    /// (digit runs, X, +, 0086, separators, @ and dots, hex letters) mixed with what makes
    /// characters differ from bytes: full-width forms, the ideographic space, CR LF (one
    /// character), combining marks, CJK. The byte-code detectors must find exactly what the
    /// Character-walking reference finds.
    func testByteCodesAgreeWithTheCharacterReference() {
        let alphabet: [String] = [
            "0", "1", "3", "8", "6", "4", "9", "5", "2", "7", "X", "x", "+", "0086", "-", " ", "@", ".", "a", "E", "F",
            "m", "_", "G", "g", "A", "z", "TEL", "ID", "ab", "\u{FF11}", "\u{FF18}", "\u{FF20}", "\u{3000}", "\r\n",
            "\r", "\n", "e\u{301}", "张", "1\u{FE0F}",
            "13812345678", "11010519491231002", "4111111111111111", "a.b@ex.com", "+86", "co",
        ]
        var rng = SplitMix64(seed: 0x5eed)
        var mismatches: [String] = []
        for _ in 0..<100_000 {
            let n = Int(rng.next() % 14)
            let text = (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined()
            if PersonalDataDetectors.detect(text) != CharacterDetectors.detect(text) {
                mismatches.append(text)
                if mismatches.count > 5 { break }
            }
        }
        XCTAssertEqual(mismatches, [])
    }
}

/// A small deterministic generator for the differential tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
