import GatewayCore
import XCTest

/// The pure parts of `gatewayd --probe`: which device a reader takes and why not, what a user
/// may do with a node, the server's Date, config warnings, and the report itself.
final class ProbeCoreTests: XCTestCase {
    func reader(_ extra: String) throws -> GatewayConfig.Reader {
        try GatewayConfig.parse(
            toml: "[device]\nid = \"t\"\n[server]\nurl = \"https://x\"\n[[reader]]\nid = \"r\"\n" + extra,
            directory: "/"
        ).readers[0]
    }

    func testReaderSelectionByPathRuleAndSubsystem() throws {
        let scanner = DeviceDescription(
            devnode: "/dev/ttyACM0",
            subsystem: "tty",
            vendor: 0x0c2e,
            product: 0x0b61,
            serial: "A1",
            name: "Honeywell 1900",
            links: ["/dev/serial/by-id/usb-Honeywell-if00"]
        )
        let byPath = try reader("kind = \"serial\"\npath = \"/dev/serial/by-id/usb-Honeywell-if00\"\n")
        XCTAssertNil(ReaderSelection.whyNot(byPath, scanner, resolvedPath: "/dev/ttyACM0"))
        XCTAssertNil(
            ReaderSelection.whyNot(byPath, scanner, resolvedPath: nil),
            "udev's link names it even before realpath can"
        )
        var other = scanner
        other.devnode = "/dev/ttyACM1"
        other.links = []
        XCTAssertEqual(
            ReaderSelection.whyNot(byPath, other, resolvedPath: "/dev/ttyACM0"),
            "path /dev/serial/by-id/usb-Honeywell-if00 leads to /dev/ttyACM0"
        )
        XCTAssertEqual(
            ReaderSelection.whyNot(byPath, other, resolvedPath: nil),
            "path /dev/serial/by-id/usb-Honeywell-if00 does not exist"
        )

        let byRule = try reader("kind = \"serial\"\n[reader.match]\nvendor = \"0c2e\"\nproduct = \"0b61\"\n")
        XCTAssertNil(ReaderSelection.whyNot(byRule, scanner, resolvedPath: nil))
        var zebra = scanner
        zebra.vendor = 0x05e0
        XCTAssertEqual(ReaderSelection.whyNot(byRule, zebra, resolvedPath: nil), "vendor 05e0 is not 0c2e")
        let hid = DeviceDescription(devnode: "/dev/hidraw0", subsystem: "hidraw", vendor: 0x0c2e, product: 0x0b61)
        XCTAssertEqual(ReaderSelection.whyNot(byRule, hid, resolvedPath: nil), "subsystem hidraw is not tty")
        XCTAssertEqual(ReaderSelection.describeRule(byRule), "vendor 0c2e, product 0b61")
        XCTAssertEqual(ReaderSelection.needs(byRule), "rw")
        XCTAssertEqual(
            ReaderSelection.needs(try reader("kind = \"evdev\"\n[reader.match]\nname = \"*Scanner*\"\n")),
            "r"
        )
    }

    func testFileAccessByOwnerGroupOtherAndRoot() {
        let crw_rw____: UInt32 = 0o020660
        XCTAssertEqual(FileAccess.of(mode: crw_rw____, owner: 0, group: 20, uid: 998, gids: [998, 20]).summary, "rw")
        XCTAssertEqual(FileAccess.of(mode: crw_rw____, owner: 0, group: 20, uid: 998, gids: [998]).summary, "none")
        XCTAssertEqual(FileAccess.of(mode: 0o020640, owner: 0, group: 998, uid: 998, gids: [998]).summary, "r")
        // The owner's bits apply to the owner even when the group's are wider (as in the kernel).
        XCTAssertEqual(FileAccess.of(mode: 0o020060, owner: 998, group: 998, uid: 998, gids: [998]).summary, "none")
        XCTAssertEqual(FileAccess.of(mode: 0o020000, owner: 5, group: 5, uid: 0, gids: [0]).summary, "rw")
        XCTAssertTrue(FileAccess(read: true, write: false).covers("r"))
        XCTAssertFalse(FileAccess(read: true, write: false).covers("rw"))
        XCTAssertEqual(FileAccess.modeString(crw_rw____), "crw-rw----")
        XCTAssertEqual(FileAccess.modeString(0o010620), "prw--w----")
    }

    func testHTTPDateIsIMFFixdateOnly() {
        XCTAssertEqual(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT"), 784_111_777)
        XCTAssertEqual(HTTPDate.parse("Mon, 23 Nov 2026 17:00:00 GMT"), 1_795_453_200)
        XCTAssertEqual(
            HTTPDate.parse("Thu, 29 Feb 2024 23:59:60 GMT"),
            1_709_251_200,
            "a leap second is the next second"
        )
        for bad in [
            "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "",
        ] {
            XCTAssertNil(HTTPDate.parse(bad), bad)
        }
    }

    func testConfigWarnings() throws {
        let quiet = try GatewayConfig.parse(
            toml: """
                [device]
                id = "t"
                [server]
                url = "https://x"
                ca = "/etc/gatewayd/ca.pem"
                [[reader]]
                id = "r"
                kind = "line"
                path = "-"
                """,
            directory: "/"
        )
        XCTAssertEqual(ConfigWarnings.of(quiet, nowNanos: 0), [])
        let loud = try GatewayConfig.parse(
            toml: """
                [device]
                id = "t"
                [server]
                url = "https://x"
                [spool]
                overflow = "drop_oldest"
                [heartbeat]
                interval_s = 0
                [redact]
                builtin = false
                """,
            directory: "/"
        )
        let w = ConfigWarnings.of(loud, nowNanos: 0)
        XCTAssertEqual(w.count, 5, "\(w)")
        for needle in [
            "no [[reader]]", "builtin = false", "drop_oldest", "interval_s = 0", "neither ca nor pin_sha256",
        ] {
            XCTAssertTrue(w.contains { $0.contains(needle) }, needle)
        }
    }

    func testReportIsOKUnlessACheckFailedAndItsTableIndentsLines() {
        var warn = ProbeCheck(name: "gpsd", status: .warn, detail: "no fix", lines: ["a", "b"])
        warn.gpsd = .init(address: "127.0.0.1:2947", reachable: true)
        let ok = ProbeReport(version: "1", checks: [ProbeCheck(name: "config", status: .ok, detail: "fine"), warn])
        XCTAssertTrue(ok.ok)
        XCTAssertEqual(
            ok.table,
            """
            config  OK    fine
            gpsd    WARN  no fix
                          a
                          b
            probe: scans can be delivered
            """
        )
        let failed = ProbeReport(
            version: "1",
            checks: ok.checks + [ProbeCheck(name: "server", status: .fail, detail: "refused")]
        )
        XCTAssertFalse(failed.ok)
        XCTAssertTrue(failed.table.hasSuffix("probe: FAILED — fix the lines marked FAIL"))
        XCTAssertEqual(ProbeCheck.worst(.warn, .fail), .fail)
        XCTAssertEqual(ProbeCheck.worst(.ok, .warn), .warn)
    }
}
