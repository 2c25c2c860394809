import ArgumentParser
import CaseServerKit
import Foundation
import GatewayCore
import GatewaySystem

/// `case-server notifications [list] --db DB [--case REF]` and `case-server notifications retry
/// --db DB --case REF [--insurer ID]`: the insurers' notifications (docs/insurers.md).
struct NotificationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notifications",
        abstract: "List the insurers' notifications, or retry failed ones.",
        subcommands: [List.self, Retry.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Each notification: its case, insurer, event, state, attempts and last error."
        )

        @Option(name: .long, help: "The server's database: its SQLite file or postgres:// URL.") var db: String
        @Option(name: .customLong("case"), help: "Only this case's.") var ref: String?

        func run() async throws {
            let store = try await openStore(db)
            var table = TextTable(
                ["case", "insurer", "event", "state", "attempts", "at", "key", "last error"],
                rightAligned: [4]
            )
            for n in try await store.notifications(ref: ref) {
                table.add([
                    n.ref, n.insurer, n.event, n.state.rawValue, String(n.attempts),
                    RFC3339.format(unixNanos: n.atNanos), n.key, n.lastError ?? "-",
                ])
            }
            print(table.render(), terminator: "")
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry",
            abstract: "Queue a case's failed notifications again (same Idempotency-Key, attempts from 0).",
            discussion: """
                The running server's dispatcher sends them within a second or so.

                Examples:
                  case-server notifications retry --db cases.db --case RC-7Q4M2KXP9A
                  case-server notifications retry --db cases.db --case RC-7Q4M2KXP9A --insurer north
                """
        )

        @Option(name: .long, help: "The server's database: its SQLite file or postgres:// URL.") var db: String
        @Option(name: .customLong("case"), help: "The case reference (case-server cases lists them).") var ref: String
        @Option(name: .long, help: "Only this insurer's (its id in the policy).") var insurer: String?

        func run() async throws {
            let store = try await openStore(db)
            let n = try await store.retryFailed(ref: ref, insurer: insurer, nowNanos: Clocks.wallNanos())
            print("\(ref): \(n) failed notification\(n == 1 ? "" : "s") queued again")
            if n == 0 {
                FileHandle.standardError.write(
                    Data(
                        "case-server: nothing failed for \(ref)\(insurer.map { " and \($0)" } ?? "") (case-server notifications --db \(db) lists them)\n"
                            .utf8
                    )
                )
                throw ExitCode(1)
            }
        }
    }
}

private func openStore(_ db: String) async throws -> any CaseStore {
    try await StoreOption.open(db, mustExist: true)
}
