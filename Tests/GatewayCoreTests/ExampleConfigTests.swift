import Foundation
import GatewayCore
import XCTest

/// The shipped sample configuration must stay valid: technicians copy it.
final class ExampleConfigTests: XCTestCase {
    func testExampleConfigParses() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("gatewayd.example.toml"), encoding: .utf8)
        let config = try GatewayConfig.parse(toml: text, directory: "/etc/gatewayd")
        XCTAssertEqual(config.device.id, "terminal-0001")
        XCTAssertEqual(config.readers.count, 1)
        XCTAssertEqual(config.schemas.map(\.name), ["insured-object", "gs1-item", "operator-badge"])
        XCTAssertEqual(
            config.redact.rules.map(\.name),
            ["owner-name", "national-id-tail"] + RedactionRule.builtIn.map(\.name)
        )
        XCTAssertEqual(config.redact.siteKeyPath, "/var/lib/gatewayd/site.key")
        XCTAssertEqual(config.spool.limits, SpoolLimits(maxEnvelopes: 1_000_000, maxBytes: 512 << 20, overflow: .block))
        XCTAssertEqual(config.forward.batchMaxBytes, 1024 << 10)
        XCTAssertEqual(config.forward.readTimeout, .seconds(10))
        XCTAssertEqual(config.kiosk, GatewayConfig.Kiosk(host: "127.0.0.1", port: 8470))
        XCTAssertEqual(config.forward.batchMax, 500)
    }

    func testKioskListenIsCheckedAndWarnedOffLoopback() throws {
        let base = "[device]\nid = \"t\"\n[server]\nurl = \"https://x\"\n"
        XCTAssertNil(try GatewayConfig.parse(toml: base + "[kiosk]\nlisten = \"off\"\n", directory: "/").kiosk)
        let v6 = try GatewayConfig.parse(toml: base + "[kiosk]\nlisten = \"[::1]:9000\"\nrecent = 5\n", directory: "/")
        XCTAssertEqual(v6.kiosk?.host, "::1")
        XCTAssertEqual(v6.kiosk?.port, 9000)
        XCTAssertEqual(v6.kiosk?.recent, 5)
        XCTAssertFalse(ConfigWarnings.of(v6, nowNanos: 0).contains { $0.hasPrefix("[kiosk]") })
        let lan = try GatewayConfig.parse(toml: base + "[kiosk]\nlisten = \"0.0.0.0:8470\"\n", directory: "/")
        XCTAssertTrue(
            ConfigWarnings.of(lan, nowNanos: 0).contains { $0.hasPrefix("[kiosk] listen = \"0.0.0.0:8470\"") }
        )
        XCTAssertThrowsError(try GatewayConfig.parse(toml: base + "[kiosk]\nlisten = \"8470\"\n", directory: "/")) {
            XCTAssertTrue("\($0)".contains("kiosk.listen: '8470' is not host:port"), "\($0)")
        }
        XCTAssertThrowsError(try GatewayConfig.parse(toml: base + "[kiosk]\nrecent = 0\n", directory: "/"))
    }
}
