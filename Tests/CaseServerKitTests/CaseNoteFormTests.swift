import CaseServerKit
import GatewayCore
import XCTest

final class CaseNoteFormTests: XCTestCase {
    /// The server's own notes come back with their form and values; a person's note does not,
    /// even when it looks like one in part.
    func testTheServersOwnNotesAreRecognizedAndOthersAreNot() {
        func form(_ text: String, insurer: String? = nil, state: String = "opened") -> (String?, [String: String]?) {
            let n = CaseNoteForm.recognize(CaseNote(at: "", state: state, text: text, insurer: insurer))
            return (n.form, n.args)
        }
        var f = form(CaseNoteForm.opened(device: "term-1", insured: true))
        XCTAssertEqual(f.0, "opened")
        XCTAssertEqual(f.1, ["device": "term-1"])
        f = form(CaseNoteForm.opened(device: "term-1", insured: false))
        XCTAssertEqual(f.0, "opened_no_insurer")
        XCTAssertEqual(f.1, ["device": "term-1"])
        f = form(CaseNoteForm.scannedAgain(device: "term-2"))
        XCTAssertEqual(f.0, "scanned_again")
        XCTAssertEqual(f.1, ["device": "term-2"])
        f = form(CaseNoteForm.notified(insurerName: "Harbour Re"), insurer: "harbour", state: "notified")
        XCTAssertEqual(f.0, "insurer_notified")
        XCTAssertEqual(f.1, ["insurer": "Harbour Re"])
        XCTAssertNil(form("Assessor arrives at 14:00").0)
        XCTAssertNil(form("claim notified", insurer: nil, state: "notified").0, "not an insurer's")
        XCTAssertNil(form("opened by a scan at ").0, "no device")
        XCTAssertNil(form("opened by a scan at x; and more").0)
    }

    /// Every form has its words in both languages of the console and of the kiosk page.
    func testEveryFormIsInTheConsoleCatalogues() {
        for language in UILanguage.allCases {
            let t = ConsoleCatalogs.catalog(language)
            for form in ["opened", "opened_no_insurer", "scanned_again", "insurer_notified"] {
                XCTAssertNotNil(t.strings["notes.\(form)"], "\(language) notes.\(form)")
            }
        }
        XCTAssertEqual(
            ConsoleCatalogs.catalog(.simplifiedChinese).format("notes.scanned_again", ["device": "term-1"]),
            "在 term-1 再次扫描"
        )
    }
}
