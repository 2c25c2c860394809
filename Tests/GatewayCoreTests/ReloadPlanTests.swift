import GatewayCore
import XCTest

/// What SIGHUP does with a new configuration (`ReloadPlan`): applied, reopened, refused, or
/// kept for the next restart.
final class ReloadPlanTests: XCTestCase {
    let base = """
        [device]
        id = "t"
        [server]
        url = "https://x"
        [[reader]]
        id = "fifo"
        kind = "line"
        path = "/run/gatewayd/scan.fifo"
        [[reader]]
        id = "wedge"
        kind = "evdev"
        [reader.match]
        vendor = "0c2e"
        """

    func config(_ text: String) throws -> GatewayConfig { try GatewayConfig.parse(toml: text, directory: "/") }

    func testUnchangedReadersStayOpenAndRoleOrDecodeChangesNeedNoReopen() throws {
        let old = try config(base)
        XCTAssertEqual(ReloadPlan.between(old, old), ReloadPlan())
        let roles = try config(
            base.replacingOccurrences(
                of: "kind = \"evdev\"",
                with: "kind = \"evdev\"\nrole = \"operator\"\ndecode = \"em4100\""
            )
        )
        XCTAssertEqual(ReloadPlan.between(old, roles).reopened, [])
        // Except a hint that makes a text reader's bytes binary: its session's noise check changes.
        let binary = try config(
            base.replacingOccurrences(of: "kind = \"evdev\"", with: "kind = \"evdev\"\ndecode = \"epc\"")
        )
        XCTAssertEqual(ReloadPlan.between(old, binary).reopened, ["wedge"])
        XCTAssertEqual(
            ReloadPlan.between(
                binary,
                try config(
                    base.replacingOccurrences(of: "kind = \"evdev\"", with: "kind = \"evdev\"\ndecode = \"ndef\"")
                )
            ).reopened,
            []
        )
        let schemas = try config(base + "\n[[schema]]\nname = \"a\"\npattern = 'A-(?<subject>[0-9]+)'\n")
        XCTAssertEqual(ReloadPlan.between(old, schemas), ReloadPlan())
    }

    func testChangedAddedAndRemovedReaders() throws {
        let old = try config(base)
        let new = try config(
            base.replacingOccurrences(of: "vendor = \"0c2e\"", with: "vendor = \"05e0\"")
                .replacingOccurrences(of: "id = \"fifo\"", with: "id = \"pipe\"")
                + "\n[[reader]]\nid = \"rfid\"\nkind = \"hidraw\"\npath = \"/dev/hidraw0\"\n"
        )
        let plan = ReloadPlan.between(old, new)
        XCTAssertNil(plan.refused)
        XCTAssertEqual(plan.reopened, ["wedge"])
        XCTAssertEqual(plan.added, ["pipe", "rfid"])
        XCTAssertEqual(plan.removed, ["fifo"])
    }

    func testDeviceIDOrSpoolMoveIsRefusedAndOtherSectionsWaitForARestart() throws {
        let old = try config(base)
        XCTAssertTrue(
            ReloadPlan.between(old, try config(base.replacingOccurrences(of: "id = \"t\"", with: "id = \"u\"")))
                .refused!.contains("device.id")
        )
        XCTAssertTrue(
            ReloadPlan.between(old, try config(base + "\n[spool]\npath = \"/tmp/s.db\"\n")).refused!.contains(
                "spool.path"
            )
        )
        let later = try config(
            base + """

                [spool]
                max_envelopes = 10
                [forward]
                batch_max = 5
                connect_timeout_ms = 1234
                [heartbeat]
                interval_s = 60
                [metrics]
                listen = "127.0.0.1:9999"
                [gps]
                gpsd = "127.0.0.1:2947"
                """
        )
        let plan = ReloadPlan.between(old, later)
        XCTAssertNil(plan.refused)
        XCTAssertEqual(
            plan.pendingRestart,
            ["[spool] limits", "[forward] batching and backoff", "[gps]", "[heartbeat]", "[metrics]"]
        )
        // A timeout alone goes with the new deliverer: nothing waits for a restart.
        let timeout = try config(base + "\n[forward]\nconnect_timeout_ms = 1234\n")
        XCTAssertEqual(ReloadPlan.between(old, timeout).pendingRestart, [])
    }
}
