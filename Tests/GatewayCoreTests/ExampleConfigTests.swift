import Foundation
import GatewayCore
import XCTest

/// The shipped sample configuration must stay valid: technicians copy it.
final class ExampleConfigTests: XCTestCase {
    func testExampleConfigParses() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("gatewayd.example.toml"), encoding: .utf8)
        let config = try GatewayConfig.parse(toml: text, directory: "/etc/gatewayd")
        XCTAssertEqual(config.device.id, "terminal-0001")
        XCTAssertEqual(config.readers.count, 1)
        XCTAssertEqual(config.schemas.map(\.name), ["insured-object", "gs1-item", "operator-badge"])
        XCTAssertEqual(config.redact.rules.map(\.name), ["owner-name", "national-id-tail"] + RedactionRule.builtIn.map(\.name))
        XCTAssertEqual(config.redact.siteKeyPath, "/var/lib/gatewayd/site.key")
        XCTAssertEqual(config.spool.limits, SpoolLimits(maxEnvelopes: 1_000_000, maxBytes: 512 << 20, overflow: .block))
        XCTAssertEqual(config.forward.batchMaxBytes, 1024 << 10)
        XCTAssertEqual(config.forward.readTimeout, .seconds(10))
    }
}
