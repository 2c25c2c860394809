import GatewayCore
import GatewayLinux
import XCTest

final class KioskCatalogTests: XCTestCase {
    /// Every key is in both languages: the kiosk page never shows a bare key in either.
    func testBothLanguagesHaveEveryKey() throws {
        let en = KioskCatalogs.catalog(.english)
        let zh = KioskCatalogs.catalog(.simplifiedChinese)
        let d = en.keysDiffering(from: zh)
        XCTAssertEqual(d.missing, [], "in kiosk.zh-Hans.toml but not in kiosk.en.toml")
        XCTAssertEqual(d.extra, [], "in kiosk.en.toml but not in kiosk.zh-Hans.toml")
        XCTAssertFalse(en.strings.isEmpty)
    }
}
