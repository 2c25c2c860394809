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
        for tag in ["4006381333931", "09506000134352", "106141412345678908", "9506000164908",
                    "3074257BF7194E4000001A85", "0109506000134352\u{1D}10ABC", "urn:epc:id:sgtin:0614141.812345.6789"] {
            XCTAssertEqual(kinds(tag), [], tag)
        }
    }
}
