import ArgumentParser
import CaseServerKit
import Foundation
import GatewayCore
import GatewaySystem

/// `case-server devices add|list|revoke|rotate|retire --db DB`: the terminals registered in the
/// server's store (docs/case-server.md, "Terminals"). A running server sees a change within its
/// device cache's bound (5 s), without a restart.
struct DevicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "Register, list, rotate and revoke terminals in the server's store.",
        discussion: """
            Examples:
              case-server devices add --db cases.db --device term-1 --key term-1.pem
              case-server devices list --db cases.db
              case-server devices rotate --db cases.db --device term-1 --key term-1-new.pem
              case-server devices retire --db cases.db --device term-1 --key-id 3f2a9c0d1e4b5a67
              case-server devices revoke --db cases.db --device term-1 --reason "stolen 2026-12-06"
            """,
        subcommands: [Add.self, List.self, Revoke.self, Rotate.self, Retire.self]
    )

    struct Options: ParsableArguments {
        @Option(name: .long, help: "The server's database: its SQLite file or postgres:// URL.") var db: String

        func store() async throws -> any CaseStore {
            try await StoreOption.open(db)
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a terminal with its public key (the PEM gatewayd keygen printed)."
        )
        @OptionGroup var options: Options
        @Option(name: .long, help: "The terminal's [device] id.") var device: String
        @Option(name: .long, help: "Its public key, PEM (X25519 or P-256).") var key: String

        func run() async throws {
            let k = try readKey(key)
            try await fail { try await options.store().addDevice(device, key: k, nowNanos: Clocks.wallNanos()) }
            print("\(device): registered, key id \(k.keyID)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every terminal in the store, with its keys.")
        @OptionGroup var options: Options

        func run() async throws {
            var table = TextTable(["device", "enrolled", "how", "revoked", "key_id", "kem", "added", "retired"])
            for d in try await options.store().devices() {
                let head = [
                    d.device, d.enrolledAtNanos.map(RFC3339.format(unixNanos:)) ?? "-", d.enrolledHow ?? "-",
                    d.revokedAtNanos.map { "\(RFC3339.format(unixNanos: $0)) \(d.revokeReason ?? "")" } ?? "-",
                ]
                if d.keys.isEmpty { table.add(head + ["-", "-", "-", "-"]) }
                for (i, k) in d.keys.enumerated() {
                    table.add(
                        (i == 0 ? head : ["", "", "", ""]) + [
                            k.keyID, k.kem, RFC3339.format(unixNanos: k.addedAtNanos),
                            k.retiredAtNanos.map(RFC3339.format(unixNanos:)) ?? "-",
                        ]
                    )
                }
            }
            print(table.render(), terminator: "")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Refuse a terminal's envelopes from now on (revoked_device), whatever its keys; its unused tokens are deleted."
        )
        @OptionGroup var options: Options
        @Option(name: .long, help: "The terminal's id.") var device: String
        @Option(name: .long, help: "Why, for the record (no personal data).") var reason = "revoked"

        func run() async throws {
            try await fail {
                try await options.store().revokeDevice(device, reason: reason, nowNanos: Clocks.wallNanos())
            }
            print(
                "\(device): revoked; servers refuse its envelopes within \(DeviceKeyring.defaultTTLNanos / 1_000_000_000) s (case-server enroll --device \(device) re-enrolls it)"
            )
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a terminal's new public key; the old one stays until retired (envelopes spooled under it)."
        )
        @OptionGroup var options: Options
        @Option(name: .long, help: "The terminal's id.") var device: String
        @Option(name: .long, help: "Its new public key, PEM.") var key: String

        func run() async throws {
            let k = try readKey(key)
            try await fail { try await options.store().rotateDevice(device, key: k, nowNanos: Clocks.wallNanos()) }
            print(
                "\(device): added key id \(k.keyID); retire the old key (devices retire) once the terminal's spool has drained"
            )
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Retire one of a terminal's keys after a rotation (devices list shows the key ids)."
        )
        @OptionGroup var options: Options
        @Option(name: .long, help: "The terminal's id.") var device: String
        @Option(name: .long, help: "The key id to retire.") var keyID: String

        func run() async throws {
            try await fail { try await options.store().retireKey(device, keyID: keyID, nowNanos: Clocks.wallNanos()) }
            print("\(device): key \(keyID) retired")
        }
    }
}

/// A public key file for `devices add|rotate`. - Throws: a `ValidationError` naming the file.
func readKey(_ path: String) throws -> SealingPublicKey {
    do {
        return try SealingPublicKey(pemRepresentation: String(contentsOfFile: path, encoding: .utf8))
    } catch {
        throw ValidationError("--key \(path): \(error)")
    }
}

/// Runs a store change; a refusal (`DeviceDirectoryError`) is printed and exits 1.
func fail(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let e as DeviceDirectoryError {
        FileHandle.standardError.write(Data("case-server: \(e)\n".utf8))
        throw ExitCode(1)
    }
}
