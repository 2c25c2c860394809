import XCTest

@testable import GatewayLinux

final class KioskHostTests: XCTestCase {
    func testAddressesAndLocalhostAreAnsweredAndOtherNamesAreNot() {
        for ok in [
            "127.0.0.1:8080", "127.0.0.1", "localhost:80", "LOCALHOST", "[::1]:8080", "[::1]", "192.168.4.20:9", nil,
            "",
        ] {
            XCTAssertTrue(KioskHost.isDirect(ok), "\(ok ?? "nil")")
        }
        for refused in [
            "evil.example:8080", "evil.example", "127.0.0.1.evil.example", "localhost.evil.example:80", "1.2.3:80",
            "256.1.1.1", "127.0.0.1:80x", "[::1", "[::1]x", "[::1]:", "127.0.0.1:",
        ] {
            XCTAssertFalse(KioskHost.isDirect(refused), refused)
        }
    }
}
