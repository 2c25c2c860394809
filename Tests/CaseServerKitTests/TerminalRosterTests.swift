import XCTest

@testable import CaseServerKit

final class TerminalRosterTests: XCTestCase {
    func testEveryDeviceOfAnySourceWithTheStoresEnrollmentOverAPEMFile() {
        let key = DeviceRecord.Key(keyID: "k", kem: "X25519", addedAtNanos: 5, retiredAtNanos: nil)
        let records = [
            DeviceRecord(
                device: "a",
                enrolledAtNanos: 5,
                enrolledHow: "token",
                revokedAtNanos: nil,
                revokeReason: nil,
                keys: [key]
            ),
            DeviceRecord(
                device: "b",
                enrolledAtNanos: nil,
                enrolledHow: nil,
                revokedAtNanos: 7,
                revokeReason: "lost",
                keys: []
            ),
        ]
        let overdue = TerminalHealth(device: "b", lastHeartbeatNanos: 1, intervalS: 60, spoolDepth: 0, overdue: true)
        let late = TerminalHealth(device: "c", lastHeartbeatNanos: 1, intervalS: 60, spoolDepth: 3, overdue: true)
        let roster = TerminalRoster.build(
            health: [overdue, late],
            records: records,
            directoryDevices: ["a", "b", "d"]
        )
        XCTAssertEqual(roster.map(\.device), ["a", "b", "c", "d"])
        XCTAssertEqual(roster.map(\.how), ["token", "directory", "-", "directory"])
        XCTAssertEqual(roster.map(\.enrolledAtNanos), [5, nil, nil, nil])
        XCTAssertEqual(roster[1].revokeReason, "lost")
        XCTAssertEqual(roster.map(\.needsAttention), [false, false, true, false], "a revoked terminal may fall silent")
    }
}
