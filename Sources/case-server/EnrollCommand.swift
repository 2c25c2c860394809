import ArgumentParser
import CaseServerKit
import Foundation
import GatewaySystem

/// `case-server enroll --device ID [--ttl 24h]`: a one-time token for `gatewayd enroll`. The
/// token is printed once and stored only as its hash.
struct EnrollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Print a one-time enrollment token for a terminal (expires; works once).",
        discussion: """
            At the terminal: gatewayd enroll --server https://cases.example:8443 --token TOKEN
            The token works once, for this device id only, until it expires. Re-enrolling a
            revoked terminal reinstates it with the key it sends (its other keys retired).

            Examples:
              case-server enroll --db cases.db --device term-1
              case-server enroll --db cases.db --device term-1 --ttl 2h
            """
    )

    @Option(name: .long, help: "The server's database: its SQLite file or postgres:// URL.") var db: String
    @Option(name: .long, help: "The terminal's [device] id.") var device: String
    @Option(name: .long, help: "How long the token is valid: seconds, or with s, m, h, d (default 24h).") var ttl =
        "24h"

    func run() async throws {
        guard let seconds = Self.seconds(ttl), seconds > 0 else {
            throw ValidationError("--ttl \(ttl): a positive duration like 900, 30m, 24h or 7d")
        }
        let store = try await StoreOption.open(db)
        let token: String
        do {
            token = try await store.createEnrollmentToken(
                device,
                ttlNanos: Int64(seconds * 1e9),
                nowNanos: Clocks.wallNanos()
            )
        } catch let e as DeviceDirectoryError {
            FileHandle.standardError.write(Data("case-server: \(e)\n".utf8))
            throw ExitCode(1)
        }
        print(token)
        FileHandle.standardError.write(
            Data(
                "case-server: enrollment token for \(device), valid \(ttl), once; at the terminal: gatewayd enroll --server URL --token TOKEN\n"
                    .utf8
            )
        )
    }

    /// "900", "900s", "30m", "24h", "7d", "0.5s" → seconds.
    static func seconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let last = text.last, let unit = units[last] { return Double(text.dropLast()).map { $0 * unit } }
        return Double(text)
    }
}
