import GatewayCore
import XCTest

final class GatewayConfigTests: XCTestCase {
    let minimal = """
        [device]
        id = "term-1"
        [server]
        url = "https://cases.example.net/"
        """

    func parse(_ s: String) throws -> GatewayConfig {
        try GatewayConfig.parse(toml: s, directory: "/etc/gatewayd")
    }

    func expectError(_ s: String, _ check: (ConfigError) -> Void, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(s), file: file, line: line) { error in
            guard let e = error as? ConfigError else {
                return XCTFail("not a ConfigError: \(error)", file: file, line: line)
            }
            check(e)
        }
    }

    func testMinimalConfigGetsSaneDefaults() throws {
        let c = try parse(minimal)
        XCTAssertEqual(c.device.id, "term-1")
        XCTAssertEqual(c.device.privateKeyPath, "/var/lib/gatewayd/device.key")
        XCTAssertEqual(c.server.url, "https://cases.example.net", "trailing slash dropped")
        XCTAssertNil(c.server.caPath)
        XCTAssertEqual(c.spool.path, "/var/lib/gatewayd/spool.db")
        XCTAssertEqual(c.forward.batchMax, 500)
        XCTAssertEqual(c.forward.backoffCap, .seconds(60))
        XCTAssertEqual(c.readers, [])
    }

    func testFullConfigAndRelativePaths() throws {
        let c = try parse(
            minimal + """

                public_key = "keys/server.pub"
                ca = "/etc/ssl/site-ca.pem"
                [spool]
                path = "spool.db"
                [forward]
                batch_max = 50
                backoff_base_ms = 200
                backoff_cap_ms = 10000
                [[reader]]
                id = "serial0"
                kind = "serial"
                path = "/dev/ttyACM0"
                baud = 115200
                [[reader]]
                id = "fifo"
                kind = "line"
                path = "-"
                max_line = 128
                [[schema]]
                name = "acme"
                pattern = 'ACME-(?<subject>[0-9]{8})'
                [[schema]]
                name = "badge"
                pattern = 'OP[0-9]{4}'
                class = "operator"
                """
        )
        XCTAssertEqual(c.server.publicKeyPath, "/etc/gatewayd/keys/server.pub")
        XCTAssertEqual(c.server.caPath, "/etc/ssl/site-ca.pem")
        XCTAssertEqual(c.spool.path, "/etc/gatewayd/spool.db")
        XCTAssertEqual(c.forward.batchMax, 50)
        XCTAssertEqual(c.forward.backoffBase, .milliseconds(200))
        XCTAssertEqual(
            c.readers[0],
            .init(id: "serial0", kind: .serial(baud: 115200, framing: .lines), path: "/dev/ttyACM0", maxLine: 4096)
        )
        XCTAssertEqual(c.readers[1], .init(id: "fifo", kind: .line, path: "-", maxLine: 128))
        XCTAssertEqual(c.schemas.map(\.kind), [.subject, .operatorBadge])
        XCTAssertEqual(try c.makeClassifier().classify(Array("OP0001".utf8)).kind, .operatorBadge)
    }

    func testSyntaxErrorNamesTheLine() {
        expectError("[device]\nid = \"x\"\nthis is not toml\n") {
            guard case .syntax(let line, _, _) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(line, 3)
        }
    }

    func testMisspeltKeyIsReportedNotIgnored() {
        expectError(minimal + "\nca_fiel = \"x\"\n") {
            XCTAssertEqual(
                $0,
                .unknownKey(
                    key: "server.ca_fiel",
                    known: [
                        "ca", "client_cert", "client_key", "key_id", "next_from", "next_key_id", "next_public_key",
                        "pin_sha256", "public_key", "url",
                    ]
                )
            )
            XCTAssertTrue($0.description.contains("server.ca_fiel"))
        }
    }

    func testWrongTypeNamesTheKeyAndTheFix() {
        expectError(minimal + "\n[forward]\nbatch_max = \"ten\"\n") {
            XCTAssertTrue($0.description.contains("forward.batch_max"), $0.description)
            XCTAssertTrue($0.description.contains("integer"), $0.description)
        }
    }

    func testPlainHTTPIsRefused() {
        expectError("[device]\nid = \"t\"\n[server]\nurl = \"http://x\"\n") {
            XCTAssertTrue($0.description.contains("server.url"))
            XCTAssertTrue($0.description.contains("https"))
        }
    }

    func testMissingDeviceID() {
        expectError("[device]\n[server]\nurl = \"https://x\"\n") {
            XCTAssertTrue($0.description.contains("device.id"))
            XCTAssertTrue($0.description.contains("missing"))
        }
    }

    func testUnsafeDeviceIDIsRefused() {
        expectError("[device]\nid = \"../etc\"\n[server]\nurl = \"https://x\"\n") {
            XCTAssertTrue($0.description.contains("device.id"))
        }
    }

    func testReaderErrorsNameTheReaderIndex() {
        expectError(minimal + "\n[[reader]]\nid = \"a\"\nkind = \"serial\"\npath = \"/dev/ttyS0\"\nbaud = 12345\n") {
            XCTAssertTrue($0.description.contains("reader[0].baud"), $0.description)
            XCTAssertTrue($0.description.contains("115200"), $0.description)
        }
        expectError(minimal + "\n[[reader]]\nid = \"a\"\nkind = \"usb\"\npath = \"/x\"\n") {
            XCTAssertTrue($0.description.contains("reader[0].kind"), $0.description)
        }
        expectError(
            minimal
                + "\n[[reader]]\nid = \"a\"\nkind = \"line\"\npath = \"/x\"\n[[reader]]\nid = \"a\"\nkind = \"line\"\npath = \"/y\"\n"
        ) {
            XCTAssertTrue($0.description.contains("reader[1].id"), $0.description)
        }
    }

    func testDeviceReadersWithMatchRulesAndOptions() throws {
        let c = try parse(
            minimal + """

                [[reader]]
                id = "wedge"
                kind = "evdev"
                layout = "de"
                terminator = "none"
                gap_ms = 80
                suffix = "#"
                [reader.match]
                vendor = "05e0"
                product = "0x1200"
                name = "*Scanner*"
                [[reader]]
                id = "rfid"
                kind = "serial"
                role = "operator"
                path = "/dev/serial/by-id/usb-rfid"
                framing = "stx-etx"
                checksum = "xor"
                length_byte = true
                [[reader]]
                id = "pos"
                kind = "hidraw"
                [reader.match]
                serial = "SN0001"
                """
        )
        guard case .evdev(let layout, let keys, let grab) = c.readers[0].kind else { return XCTFail() }
        XCTAssertEqual(layout, "de")
        XCTAssertEqual(keys.terminator, .none)
        XCTAssertEqual(keys.gapMicros, 80_000)
        XCTAssertEqual(keys.suffix, "#")
        XCTAssertTrue(grab)
        XCTAssertEqual(c.readers[0].match, DeviceMatch(vendor: 0x05E0, product: 0x1200, name: "*Scanner*"))
        var o = BinaryFramer.Options()
        o.checksum = .xor
        o.lengthByte = true
        XCTAssertEqual(c.readers[1].kind, .serial(baud: 9600, framing: .stxEtx(o)))
        XCTAssertEqual(c.readers[1].role, .operatorBadge)
        XCTAssertEqual(c.readers[2].kind, .hidraw)
        XCTAssertEqual(c.readers[2].subsystem, "hidraw")
    }

    func testFloodSettingsAndWhichReadersFrameText() throws {
        let c = try parse(
            minimal + """

                [[reader]]
                id = "fifo"
                kind = "line"
                path = "-"
                flood_rate = 50
                flood_seconds = 5
                [[reader]]
                id = "uhf"
                kind = "line"
                path = "-"
                decode = "epc"
                [[reader]]
                id = "tty"
                kind = "serial"
                path = "/dev/ttyACM0"
                [[reader]]
                id = "em"
                kind = "serial"
                path = "/dev/ttyUSB0"
                framing = "em4100"
                [[reader]]
                id = "wedge"
                kind = "evdev"
                path = "/dev/input/event3"
                [[reader]]
                id = "pos"
                kind = "hidraw"
                path = "/dev/hidraw0"
                [[reader]]
                id = "cam"
                kind = "camera"
                path = "/dev/video0"
                """
        )
        XCTAssertEqual(c.readers[0].flood, FloodMonitor.Settings(rate: 50, seconds: 5))
        XCTAssertEqual(c.readers[1].flood, FloodMonitor.Settings(rate: 500, seconds: 2))
        XCTAssertEqual(c.readers.map(\.framesText), [true, false, true, false, true, false, false])
        expectError(minimal + "\n[[reader]]\nid = \"a\"\nkind = \"line\"\npath = \"-\"\nflood_rate = 0\n") {
            XCTAssertTrue($0.description.contains("reader[0].flood_rate"), $0.description)
        }
    }

    func testDeviceReaderNeedsAPathOrAMatch() {
        expectError(minimal + "\n[[reader]]\nid = \"a\"\nkind = \"evdev\"\n") {
            XCTAssertTrue($0.description.contains("reader[0].path"), $0.description)
            XCTAssertTrue($0.description.contains("[reader.match]"), $0.description)
        }
        expectError(minimal + "\n[[reader]]\nid = \"a\"\nkind = \"evdev\"\n[reader.match]\nvendor = \"5e0\"\n") {
            XCTAssertTrue($0.description.contains("reader[0].match.vendor"), $0.description)
        }
        expectError(minimal + "\n[[reader]]\nid = \"a\"\nkind = \"evdev\"\npath = \"/x\"\nlayout = \"dvorak\"\n") {
            XCTAssertTrue($0.description.contains("reader[0].layout"), $0.description)
        }
    }

    func testBadSchemaPattern() {
        expectError(minimal + "\n[[schema]]\nname = \"x\"\npattern = \"(\"\n") {
            XCTAssertTrue($0.description.contains("schema[0].pattern"), $0.description)
        }
    }
}
