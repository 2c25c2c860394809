import GatewayCore
import XCTest

/// Each table's parser on its own: an empty table gives the section's defaults (the same as
/// no table where the section is on by default), and a bad value names its key and the fix.
final class ConfigSectionParsersTests: XCTestCase {
    let base = "[device]\nid = \"t\"\n[server]\nurl = \"https://x\"\n"

    func section(_ name: String, _ body: String = "") throws -> ConfigSection {
        try XCTUnwrap(try ConfigSection.parse("[\(name)]\n" + body).table(name))
    }

    func expect<T>(
        _ parse: @autoclosure () throws -> T,
        key: String,
        containing text: String,
        line: UInt = #line
    ) {
        XCTAssertThrowsError(try parse(), line: line) { error in
            guard case .invalid(let k, let problem, let fix) = error as? ConfigError else {
                return XCTFail("not an invalid value: \(error)", line: line)
            }
            XCTAssertEqual(k, key, line: line)
            XCTAssertTrue("\(problem); \(fix)".contains(text), "\(error)", line: line)
        }
    }

    func testAnEmptyTableIsTheSameAsNoTable() throws {
        let none = try GatewayConfig.parse(toml: base, directory: "/")
        for table in ["spool", "forward", "redact", "metrics", "kiosk", "heartbeat"] {
            XCTAssertEqual(try GatewayConfig.parse(toml: base + "[\(table)]\n", directory: "/"), none, table)
        }
        XCTAssertEqual(none.heartbeatInterval, GatewayConfig.Heartbeat.defaultInterval)
        XCTAssertEqual(none.metricsListen, GatewayConfig.Metrics.defaultListen)
    }

    func testDeviceAndServer() throws {
        let device = try GatewayConfig.Device.parse(try section("device", "id = \"t1\""), directory: "/etc/gatewayd")
        XCTAssertEqual(device, GatewayConfig.Device(id: "t1"))
        XCTAssertEqual(device.privateKeyPath, GatewayConfig.Device.defaultPrivateKeyPath)
        expect(
            try GatewayConfig.Device.parse(try section("device"), directory: "/"),
            key: "device.id",
            containing: "missing"
        )
        let server = try GatewayConfig.Server.parse(try section("server", "url = \"https://x/\""), directory: "/")
        XCTAssertEqual(server, GatewayConfig.Server(url: "https://x"))
        XCTAssertEqual(server.publicKeyPath, GatewayConfig.Server.defaultPublicKeyPath)
        expect(
            try GatewayConfig.Server.parse(try section("server", "url = \"https://x\"\nca = 1"), directory: "/"),
            key: "server.ca",
            containing: "expected a string"
        )
    }

    func testSpool() throws {
        XCTAssertEqual(try GatewayConfig.Spool.parse(try section("spool"), directory: "/"), GatewayConfig.Spool())
        let relative = try GatewayConfig.Spool.parse(try section("spool", "path = \"s.db\""), directory: "/d")
        XCTAssertEqual(relative.path, "/d/s.db")
        expect(
            try GatewayConfig.Spool.parse(try section("spool", "max_mb = 0"), directory: "/"),
            key: "spool.max_mb",
            containing: "use a value in 1...1000000"
        )
    }

    func testForward() throws {
        let f = try GatewayConfig.Forward.parse(try section("forward"))
        XCTAssertEqual(f, GatewayConfig.Forward())
        XCTAssertEqual(f.batchMax, GatewayConfig.Forward.defaultBatchMax)
        XCTAssertEqual(f.linger, GatewayConfig.Forward.defaultLinger)
        XCTAssertEqual(f.backoffBase, GatewayConfig.Forward.defaultBackoffBase)
        expect(
            try GatewayConfig.Forward.parse(try section("forward", "linger_ms = -1")),
            key: "forward.linger_ms",
            containing: "use a value in 0...60000"
        )
        expect(
            try GatewayConfig.Forward.parse(try section("forward", "backoff_base_ms = 2000\nbackoff_cap_ms = 1000")),
            key: "forward.backoff_cap_ms",
            containing: "make the cap at least the base"
        )
    }

    func testReaderAndSerialFramingDefaults() throws {
        let top = try ConfigSection.parse(
            """
            [[reader]]
            id = "s"
            kind = "serial"
            path = "/dev/ttyACM0"
            [[reader]]
            id = "f"
            kind = "serial"
            path = "/dev/ttyUSB0"
            framing = "stx-etx"
            [[reader]]
            id = "c"
            kind = "camera"
            path = "/dev/video0"
            """
        )
        let readers = try GatewayConfig.Reader.parse(top.tableArray("reader"), directory: "/")
        XCTAssertEqual(readers[0].kind, .serial(baud: GatewayConfig.Reader.defaultBaud, framing: .lines))
        XCTAssertEqual(readers[0].maxLine, GatewayConfig.Reader.defaultMaxLine)
        XCTAssertEqual(readers[1].kind, .serial(baud: GatewayConfig.Reader.defaultBaud, framing: .stxEtx(.init())))
        XCTAssertEqual(
            readers[2].kind,
            .camera(width: GatewayConfig.Reader.defaultCameraWidth, height: GatewayConfig.Reader.defaultCameraHeight)
        )
        XCTAssertEqual(readers[2].dedupMillis, GatewayConfig.Reader.defaultCameraDedupMillis)
        expect(
            try GatewayConfig.SerialFraming.parse(try section("r", "framing = \"stx-etx\"\nchecksum = \"crc\"")),
            key: "r.checksum",
            containing: "unknown checksum 'crc'"
        )
        expect(
            try GatewayConfig.Reader.parse(
                try ConfigSection.parse("[[reader]]\nid = \"a\"\nkind = \"serial\"\npath = \"/dev/x\"\nbaud = 1000\n")
                    .tableArray("reader"),
                directory: "/"
            ),
            key: "reader[0].baud",
            containing: "1000 is not a standard rate"
        )
    }

    func testDeviceMatch() throws {
        XCTAssertEqual(try DeviceMatch.parse(try section("m", "vendor = \"0x05E0\"")).vendor, 0x05e0)
        expect(try DeviceMatch.parse(try section("m")), key: "m", containing: "empty rule")
        expect(
            try DeviceMatch.parse(try section("m", "product = \"5e0\"")),
            key: "m.product",
            containing: "4-digit hex"
        )
    }

    func testSchema() throws {
        let s = try GatewayConfig.Schema.parse(try section("schema", "name = \"gtin\"\ndecoded = \"gs1\""))
        XCTAssertEqual(s.pattern, GatewayConfig.Schema.decodedDefaultPattern)
        XCTAssertEqual(s.subjectGroup, GatewayConfig.Schema.defaultSubjectGroup)
        XCTAssertEqual(s.kind, .subject)
        expect(
            try GatewayConfig.Schema.parse(try section("schema", "name = \"x\"\ndecoded = \"qr\"")),
            key: "schema.decoded",
            containing: "unknown format 'qr'"
        )
    }

    func testRedact() throws {
        XCTAssertEqual(try GatewayConfig.Redact.parse(try section("redact"), directory: "/"), GatewayConfig.Redact())
        expect(
            try GatewayConfig.Redact.parse(try section("redact", "builtin = \"no\""), directory: "/"),
            key: "redact.builtin",
            containing: "write builtin = true or builtin = false"
        )
    }

    func testMetrics() throws {
        XCTAssertEqual(try GatewayConfig.Metrics.parse(try section("metrics")), GatewayConfig.Metrics())
        XCTAssertNil(try GatewayConfig.Metrics.parse(try section("metrics", "listen = \"off\"")).listen)
        XCTAssertEqual(
            try GatewayConfig.Metrics.parse(try section("metrics", "listen = \"localhost:0\"")).listen,
            HostPort(host: "localhost", port: 0)
        )
        expect(
            try GatewayConfig.Metrics.parse(try section("metrics", "listen = \"127.0.0.1\"")),
            key: "metrics.listen",
            containing: "is not a loopback host:port"
        )
    }

    func testKiosk() throws {
        XCTAssertEqual(try GatewayConfig.Kiosk.parse(try section("kiosk")), GatewayConfig.Kiosk())
        XCTAssertEqual(GatewayConfig.Kiosk().listen, GatewayConfig.Kiosk.defaultListen)
        XCTAssertNil(try GatewayConfig.Kiosk.parse(try section("kiosk", "listen = \"off\"")))
        expect(
            try GatewayConfig.Kiosk.parse(try section("kiosk", "follow_cap_s = 1")),
            key: "kiosk.follow_cap_s",
            containing: "use a value in 2...3600"
        )
        XCTAssertEqual(try GatewayConfig.Kiosk.parse(try section("kiosk"))?.language, .english)
        XCTAssertEqual(
            try GatewayConfig.Kiosk.parse(try section("kiosk", "language = \"zh-Hans\""))?.language,
            .simplifiedChinese
        )
        expect(
            try GatewayConfig.Kiosk.parse(try section("kiosk", "language = \"fr\"")),
            key: "kiosk.language",
            containing: "use language = \"en\" or \"zh-Hans\""
        )
    }

    func testGPSOperatorGeofenceAndHeartbeat() throws {
        XCTAssertEqual(try GatewayConfig.GPS.parse(try section("gps")), GatewayConfig.GPS())
        XCTAssertEqual(GatewayConfig.GPS().host, "127.0.0.1")
        expect(
            try GatewayConfig.GPS.parse(try section("gps", "max_age_s = 0")),
            key: "gps.max_age_s",
            containing: "1...3600"
        )
        XCTAssertEqual(
            try GatewayConfig.OperatorSettings.parse(try section("operator")),
            GatewayConfig.OperatorSettings()
        )
        expect(
            try GatewayConfig.OperatorSettings.parse(try section("operator", "timeout_s = 5")),
            key: "operator.timeout_s",
            containing: "10...86400"
        )
        XCTAssertEqual(try Geofence.parse(try section("geofence")), Geofence())
        expect(
            try Geofence.parse(try section("geofence", "[[geofence.area]]\npolygon = [[1, 2], [3, 4]]")),
            key: "geofence.area[0].polygon",
            containing: "fewer than 3 points"
        )
        XCTAssertEqual(try GatewayConfig.Heartbeat.parse(try section("heartbeat")), GatewayConfig.Heartbeat())
        XCTAssertNil(try GatewayConfig.Heartbeat.parse(try section("heartbeat", "interval_s = 0")).interval)
        expect(
            try GatewayConfig.Heartbeat.parse(try section("heartbeat", "interval_s = -1")),
            key: "heartbeat.interval_s",
            containing: "0...86400"
        )
    }
}
