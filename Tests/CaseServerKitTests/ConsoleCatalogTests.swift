import CaseServerKit
import GatewayCore
import XCTest

final class ConsoleCatalogTests: XCTestCase {
    /// Every key is in both languages: a page never shows a bare key in either.
    func testBothLanguagesHaveEveryKey() throws {
        let en = ConsoleCatalogs.catalog(.english)
        let zh = ConsoleCatalogs.catalog(.simplifiedChinese)
        let d = en.keysDiffering(from: zh)
        XCTAssertEqual(d.missing, [], "in console.zh-Hans.toml but not in console.en.toml")
        XCTAssertEqual(d.extra, [], "in console.en.toml but not in console.zh-Hans.toml")
        XCTAssertGreaterThan(en.strings.count, 1)
        for (key, value) in zh.strings where !value.isEmpty {
            XCTAssertNotEqual(value, en[key], "\(key) is not translated", file: #filePath, line: #line)
        }
    }

    /// The layout renders in the user's language, with its catalogue's words.
    func testLayoutSpeaksTheUsersLanguage() {
        let zh = ConsoleUser(name: "li", role: .handler, language: .simplifiedChinese)
        let html = ConsoleTemplates.render("layout", [:], user: zh)
        XCTAssertTrue(html.contains(#"<html lang="zh-Hans">"#), html)
        XCTAssertTrue(html.contains("监管控制台"), html)
        XCTAssertTrue(ConsoleTemplates.render("layout", [:], user: nil).contains("Supervision console"))
    }
}
