import Foundation
import GatewayCore
import XCTest

@testable import GatewayLinux

/// The pages in both languages: every word from the catalogue (no placeholder left, every key
/// the script asks for present), the page's language declared, the catalogue safe inside the
/// page's script.
final class KioskPageTests: XCTestCase {
    func testEachPageIsWrittenInItsLanguageWithEveryWordFromTheCatalogue() throws {
        for language in UILanguage.allCases {
            let catalog = KioskCatalogs.catalog(language)
            for template in [KioskPage.kiosk, KioskPage.technician] {
                let html = KioskPage.render(template, language: language)
                XCTAssertTrue(html.contains(#"<html lang="\#(language.rawValue)">"#))
                XCTAssertFalse(html.contains("{{"), "a placeholder left")
                // Every key the template and the script name is in the catalogue.
                let keys = Self.keys(in: template)
                XCTAssertGreaterThan(keys.count, template == KioskPage.kiosk ? 40 : 8)
                for key in keys {
                    XCTAssertNotNil(catalog.strings[key], "\(language.rawValue): \(key)")
                }
                let words = try XCTUnwrap(
                    Self.between(html, #"<script type="application/json" id="words">"#, "</script>")
                )
                XCTAssertFalse(words.contains("<"))
                let parsed = try JSONDecoder().decode([String: String].self, from: Data(words.utf8))
                XCTAssertEqual(parsed, catalog.strings)
            }
        }
        let zh = KioskPage.render(KioskPage.kiosk, language: .simplifiedChinese)
        XCTAssertTrue(zh.contains("<title>报告受损物品</title>"))
        XCTAssertTrue(zh.contains(#"const LOCALE = "zh-Hans-CN";"#), "times in the language's convention")
        let en = KioskPage.render(KioskPage.kiosk, language: .english)
        XCTAssertTrue(en.contains("Scan or tap the object&#39;s tag to report damage"))
        XCTAssertTrue(en.contains(#"const LOCALE = "en-GB";"#))
    }

    /// The keys a template names: `{{key}}` in its HTML, and in its script every string of the
    /// form "table.key" for a table the catalogue has, and the keys composed from a table
    /// (`"delivery." + k`, `TS("case_state", …)`).
    static func keys(in template: String) -> Set<String> {
        let tables = Set(KioskCatalogs.catalog(.english).strings.keys.map { String($0.split(separator: ".")[0]) })
        var keys = Set<String>()
        for pattern in [#"\{\{([a-z_]+\.[a-z_]+)\}\}"#, #""([a-z_]+\.[a-z_]+)""#] {
            let re = try! NSRegularExpression(pattern: pattern)
            for m in re.matches(in: template, range: NSRange(template.startIndex..., in: template)) {
                let key = String(template[Range(m.range(at: 1), in: template)!])
                if tables.contains(String(key.split(separator: ".")[0])) { keys.insert(key) }
            }
        }
        for k in ["spooled", "sent", "accepted", "dead_lettered"] { keys.insert("delivery." + k) }
        for k in ["subject", "operator", "config", "unknown"] { keys.insert("class." + k) }
        if template.contains(#"TS("case_state""#) {
            for state in ["opened", "insurers_notified", "assessor_assigned", "resolved", "closed"] {
                keys.insert("case_state." + state)
            }
            for state in ["notified", "acknowledged", "claim_opened", "declined", "settled"] {
                keys.insert("insurer_state." + state)
            }
            for state in ["spooled", "sent", "accepted", "dead_lettered"] { keys.insert("delivery_short." + state) }
        }
        if template.contains(#""probe_status." + c.status"#) {
            for status in ["ok", "warn", "fail"] { keys.insert("probe_status." + status) }
        }
        return keys
    }

    static func between(_ s: String, _ a: String, _ b: String) -> String? {
        guard let start = s.range(of: a), let end = s.range(of: b, range: start.upperBound..<s.endIndex) else {
            return nil
        }
        return String(s[start.upperBound..<end.lowerBound])
    }
}
