import Foundation
import GatewayCore
import XCTest

final class MessageCatalogTests: XCTestCase {
    func testTablesBecomeDottedKeysAndPlaceholdersAreFilled() throws {
        let c = try MessageCatalog(
            language: .english,
            toml: """
                [cases]
                title = "Cases"
                count = "{n} open, {m} closed"
                [case.timeline]
                empty = "Nothing yet"
                """
        )
        XCTAssertEqual(c["cases.title"], "Cases")
        XCTAssertEqual(c["case.timeline.empty"], "Nothing yet")
        XCTAssertEqual(c.format("cases.count", ["n": "3", "m": "1"]), "3 open, 1 closed")
        XCTAssertEqual(c["cases.nope"], "cases.nope")
        let nested = c.nested
        XCTAssertEqual((nested["cases"] as? [String: Any])?["title"] as? String, "Cases")
    }

    func testANonStringValueIsRefusedByKey() {
        XCTAssertThrowsError(try MessageCatalog(language: .english, toml: "[a]\nb = 3")) {
            XCTAssertEqual($0 as? MessageCatalog.LoadError, .notAString(key: "a.b"))
        }
    }

    func testKeyDifferencesBothWays() {
        let a = MessageCatalog(language: .english, strings: ["x": "1", "y": "2"])
        let b = MessageCatalog(language: .simplifiedChinese, strings: ["y": "2", "z": "3"])
        let d = a.keysDiffering(from: b)
        XCTAssertEqual(d.missing, ["z"])
        XCTAssertEqual(d.extra, ["x"])
    }

    func testLanguageTagsAndDates() {
        XCTAssertEqual(UILanguage(tag: "zh-CN"), .simplifiedChinese)
        XCTAssertEqual(UILanguage(tag: "zh_Hans"), .simplifiedChinese)
        XCTAssertEqual(UILanguage(tag: "en-US"), .english)
        XCTAssertNil(UILanguage(tag: "fr"))
        let d = Date(timeIntervalSince1970: 1_796_634_331)  // 2026-12-07 09:05:31 UTC
        let utc = TimeZone(identifier: "UTC")!
        XCTAssertEqual(UILanguage.english.dateTime(d, timeZone: utc), "7 Dec 2026 at 09:05:31")
        XCTAssertEqual(UILanguage.simplifiedChinese.dateTime(d, timeZone: utc), "2026年12月7日 09:05:31")
        XCTAssertEqual(UILanguage.english.time(d, timeZone: TimeZone(identifier: "Asia/Shanghai")!), "17:05:31")
    }

    func testMarkupTextEscapesEveryCharacterThatCouldBecomeMarkup() {
        XCTAssertEqual(
            MarkupText.escape(#"<b a="1" c='2'>&amp;</b> 中"#),
            "&lt;b a=&quot;1&quot; c=&#39;2&#39;&gt;&amp;amp;&lt;/b&gt; 中"
        )
    }
}
