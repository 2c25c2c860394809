import GatewayCore
import XCTest

/// `[spool]` bounds and the delivery keys of `[forward]` and `[server]`.
final class DeliveryConfigTests: XCTestCase {
    func parse(_ extra: String) throws -> GatewayConfig {
        try GatewayConfig.parse(
            toml: "[device]\nid = \"t\"\n[server]\nurl = \"https://x\"\n" + extra,
            directory: "/etc/gatewayd"
        )
    }

    func testDefaultsAndExplicitValues() throws {
        let d = try parse("")
        XCTAssertEqual(d.spool.limits, SpoolLimits())
        XCTAssertEqual(d.forward.linger, .milliseconds(20))
        let c = try parse(
            """
            [spool]
            max_envelopes = 500
            max_mb = 64
            overflow = "drop_oldest"
            [forward]
            batch_max_kb = 256
            linger_ms = 0
            read_timeout_ms = 2500
            """
        )
        XCTAssertEqual(c.spool.limits, SpoolLimits(maxEnvelopes: 500, maxBytes: 64 << 20, overflow: .dropOldest))
        XCTAssertEqual(c.forward.batchMaxBytes, 256 << 10)
        XCTAssertEqual(c.forward.linger, .zero)
        XCTAssertEqual(c.forward.readTimeout, .milliseconds(2500))
    }

    func testErrorsNameTheKeyAndTheFix() {
        XCTAssertThrowsError(try parse("[spool]\noverflow = \"discard\"\n")) {
            XCTAssertTrue("\($0)".contains("spool.overflow") && "\($0)".contains("drop_oldest"), "\($0)")
        }
        XCTAssertThrowsError(
            try GatewayConfig.parse(
                toml: "[device]\nid = \"t\"\n[server]\nurl = \"https://x\"\nclient_cert = \"c.pem\"\n",
                directory: "/"
            )
        ) {
            XCTAssertTrue("\($0)".contains("server.client_key") && "\($0)".contains("both"), "\($0)")
        }
        XCTAssertThrowsError(
            try GatewayConfig.parse(
                toml: "[device]\nid = \"t\"\n[server]\nurl = \"https://x\"\npin_sha256 = [\"abc\"]\n",
                directory: "/"
            )
        ) {
            XCTAssertTrue("\($0)".contains("server.pin_sha256") && "\($0)".contains("openssl"), "\($0)")
        }
        XCTAssertEqual(
            try GatewayConfig.parse(
                toml:
                    "[device]\nid = \"t\"\n[server]\nurl = \"https://x\"\npin_sha256 = [\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"]\n",
                directory: "/"
            ).server.pins.count,
            1
        )
        XCTAssertThrowsError(try parse("[metrics]\nlisten = \"0.0.0.0:9464\"\n")) {
            XCTAssertTrue("\($0)".contains("metrics.listen") && "\($0)".contains("loopback"), "\($0)")
        }
        XCTAssertNil(try parse("[metrics]\nlisten = \"off\"\n").metricsListen)
        XCTAssertEqual(try parse("").metricsListen?.port, 9464)
        XCTAssertThrowsError(try parse("[spool]\nmax_envelopes = 0\n")) {
            XCTAssertTrue("\($0)".contains("spool.max_envelopes"), "\($0)")
        }
    }
}
