import ArgumentParser
import CaseServerKit
import Foundation
import GatewayCore
import GatewaySystem

/// `case-server terminals --db DB [--devices DIR]`: each terminal's enrollment, revocation and
/// last heartbeat, and which are overdue.
struct TerminalsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "terminals",
        abstract:
            "Enrollment, revocation and last heartbeat per terminal; OVERDUE when more than twice its interval has passed. Exit 3 if any unrevoked one is overdue."
    )

    @Option(name: .long, help: "The server's database: its SQLite file or postgres:// URL.")
    var db: String

    @Option(name: .long, help: "Seconds allowed on top of twice the interval, for delivery delays.")
    var graceS: Int = 60

    @Option(name: .long, help: "The PEM directory serve uses (--devices), to list terminals registered by file.")
    var devices: String?

    func run() async throws {
        let store = try await StoreOption.open(db)
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        let health = TerminalHealth.assess(try await store.latestHeartbeats(), nowNanos: now, graceS: graceS)
        let files = Set(
            (devices.flatMap { try? FileManager.default.contentsOfDirectory(atPath: $0) } ?? [])
                .filter { $0.hasSuffix(".pem") }.map { String($0.dropLast(4)) }
        )
        let roster = TerminalRoster.build(health: health, records: try await store.devices(), directoryDevices: files)
        var table = TextTable(
            ["device", "enrolled", "how", "last_heartbeat", "interval_s", "spool", "state", "revoked"],
            rightAligned: [4, 5]
        )
        for t in roster {
            let h = t.health
            let state = t.revokedAtNanos != nil ? "REVOKED" : h.map { $0.overdue ? "OVERDUE" : "ok" } ?? "-"
            table.add([
                t.device, t.enrolledAtNanos.map(RFC3339.format(unixNanos:)) ?? "-", t.how,
                h.map { RFC3339.format(unixNanos: $0.lastHeartbeatNanos) } ?? "-",
                h.map { String($0.intervalS) } ?? "-",
                h.map { String($0.spoolDepth) } ?? "-", state,
                t.revokedAtNanos.map { "\(RFC3339.format(unixNanos: $0)) \(t.revokeReason ?? "")" } ?? "-",
            ])
        }
        print(table.render(), terminator: "")
        if roster.contains(where: \.needsAttention) { throw ExitCode(3) }
    }
}
