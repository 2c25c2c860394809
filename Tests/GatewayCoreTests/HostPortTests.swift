import GatewayCore
import XCTest

/// One set of host:port rules for `[metrics] listen`, `[kiosk] listen` and `[gps] gpsd`.
final class HostPortTests: XCTestCase {
    func testAcceptedForms() throws {
        XCTAssertEqual(try HostPort.parse("127.0.0.1:9464"), HostPort(host: "127.0.0.1", port: 9464))
        XCTAssertEqual(try HostPort.parse("gps.local:2947"), HostPort(host: "gps.local", port: 2947))
        XCTAssertEqual(try HostPort.parse("localhost:0").port, 0, "port 0: any free port")
        XCTAssertEqual(try HostPort.parse("0.0.0.0:65535").port, 65535)
        let v6 = HostPort.Rules(bracketedIPv6: true)
        XCTAssertEqual(try HostPort.parse("[::1]:9000", rules: v6), HostPort(host: "::1", port: 9000))
        XCTAssertEqual(try HostPort.parse("[fe80::1]:8470", rules: v6).host, "fe80::1")
        XCTAssertEqual(try HostPort.parse("10.0.0.2:8470", rules: v6).host, "10.0.0.2")
    }

    func testRefusedForms() {
        func refused(_ text: String, _ rules: HostPort.Rules, _ expected: HostPort.ParseError, line: UInt = #line) {
            XCTAssertThrowsError(try HostPort.parse(text, rules: rules), line: line) {
                XCTAssertEqual($0 as? HostPort.ParseError, expected, text, line: line)
            }
        }
        refused("8470", .init(), .notHostPort)
        refused(":8470", .init(), .notHostPort)
        refused("::1:8470", .init(bracketedIPv6: true), .notHostPort)
        refused("h:1:2", .init(), .notHostPort)
        refused("h::2947", .init(), .notHostPort)
        refused("[::1]:9000", .init(), .notHostPort)
        refused("[::1]9000", .init(bracketedIPv6: true), .notHostPort)
        refused("[]:9000", .init(bracketedIPv6: true), .notHostPort)
        refused("host:", .init(), .badPort)
        refused("host:http", .init(), .badPort)
        refused("host:65536", .init(), .badPort)
        refused("host:-1", .init(), .badPort)
        refused("[::1]:99999", .init(bracketedIPv6: true), .badPort)
    }

    func testLoopbackOnly() throws {
        let loopback = HostPort.Rules(loopbackOnly: true)
        XCTAssertEqual(try HostPort.parse("127.0.0.1:9464", rules: loopback).port, 9464)
        XCTAssertEqual(try HostPort.parse("localhost:9464", rules: loopback).host, "localhost")
        XCTAssertThrowsError(try HostPort.parse("0.0.0.0:9464", rules: loopback)) {
            XCTAssertEqual($0 as? HostPort.ParseError, .notLoopback)
        }
        XCTAssertThrowsError(try HostPort.parse("10.1.2.3:9464", rules: loopback)) {
            XCTAssertEqual($0 as? HostPort.ParseError, .notLoopback)
        }
        let v6Loopback = HostPort.Rules(bracketedIPv6: true, loopbackOnly: true)
        XCTAssertTrue(try HostPort.parse("[::1]:8470", rules: v6Loopback).isLoopback)
        XCTAssertThrowsError(try HostPort.parse("[fe80::1]:8470", rules: v6Loopback))
    }

    func testWrittenAsTheConfigurationWritesIt() throws {
        XCTAssertEqual("\(HostPort(host: "127.0.0.1", port: 9464))", "127.0.0.1:9464")
        XCTAssertEqual("\(HostPort(host: "::1", port: 8470))", "[::1]:8470")
        let v6 = HostPort.Rules(bracketedIPv6: true)
        for text in ["[fe80::1]:8470", "gps.local:2947"] {
            XCTAssertEqual("\(try HostPort.parse(text, rules: v6))", text)
        }
    }

    /// The config keys keep their own wording around the shared rules.
    func testConfigKeysNameTheKeyAndTheirFix() {
        let base = "[device]\nid = \"t\"\n[server]\nurl = \"https://x\"\n"
        func error(_ extra: String) -> String {
            do {
                _ = try GatewayConfig.parse(toml: base + extra, directory: "/")
                return "accepted"
            } catch { return "\(error)" }
        }
        XCTAssertEqual(
            error("[metrics]\nlisten = \"[::1]:9464\"\n"),
            "config: metrics.listen: '[::1]:9464' is not a loopback host:port; "
                + "metrics stay on the terminal: use \"127.0.0.1:9464\" (or \"off\")"
        )
        XCTAssertEqual(
            error("[kiosk]\nlisten = \"127.0.0.1:70000\"\n"),
            "config: kiosk.listen: '127.0.0.1:70000' is not host:port; use \"127.0.0.1:8470\" (or \"off\")"
        )
        XCTAssertEqual(
            error("[gps]\ngpsd = \"off\"\n"),
            "config: gps.gpsd: 'off' is not host:port; gpsd listens on \"127.0.0.1:2947\" by default"
        )
        XCTAssertEqual(
            error("[gps]\ngpsd = \"[::1]:2947\"\n"),
            "config: gps.gpsd: '[::1]:2947' is not host:port; gpsd listens on \"127.0.0.1:2947\" by default",
            "the gpsd client connects over IPv4 only"
        )
    }
}
