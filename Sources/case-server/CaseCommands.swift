import ArgumentParser
import CaseServerKit
import Foundation
import GatewayCore
import GatewaySystem

/// `case-server progress --db DB CASE STATE NOTE [--insurer ID]`: a step of a case's progress,
/// as a case handler or an insurer reports it; terminals following the case show it.
struct ProgressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "progress",
        abstract: "Record a case's progress (its state, or one insurer's) with a note.",
        discussion: """
            Case states: \(CaseStates.ofCase.joined(separator: ", ")) (resolved and closed end it).
            Insurer states (with --insurer): \(CaseStates.ofInsurer.joined(separator: ", ")).

            Examples:
              case-server progress --db cases.db RC-7Q4M2KXP9A assessor_assigned "Assessor arrives at 14:00"
              case-server progress --db cases.db RC-7Q4M2KXP9A acknowledged "Claim 2026-118" --insurer north
            """
    )

    @Option(name: .long, help: "The server's database: its SQLite file or postgres:// URL.") var db: String
    @Argument(help: "The case reference (case-server cases lists them).") var ref: String
    @Argument(help: "The new state.") var state: String
    @Argument(help: "A note for the people on site and the case history.") var note: String = ""
    @Option(name: .long, help: "The step is this insurer's (its id in the policy).") var insurer: String?

    func run() async throws {
        let store = try await StoreOption.open(db, mustExist: true)
        do {
            try await store.progress(
                ref: ref,
                state: state,
                note: note,
                insurer: insurer,
                nowNanos: Clocks.wallNanos()
            )
        } catch let e as CaseProgressError {
            FileHandle.standardError.write(Data("case-server: \(e)\n".utf8))
            throw ExitCode(1)
        }
        print("\(ref): \(insurer.map { "\($0) " } ?? "")\(state)")
    }
}

/// `case-server cases --db DB [--json]`.
struct CasesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cases",
        abstract: "List the risk cases with their state and each insurer's."
    )

    @Option(name: .long, help: "The server's database: its SQLite file or postgres:// URL.") var db: String
    @Flag(name: .long, help: "Each case's full status as GET /v1/cases/{ref} gives it, one JSON array.") var json =
        false
    @Option(name: .long, help: "With --json: the policy the server runs with, for the guidance texts.") var policy:
        String?

    func run() async throws {
        let store = try await StoreOption.open(db)
        if json {
            let catalog =
                try policy.map {
                    try CasePolicy.parse(
                        toml: String(contentsOfFile: $0, encoding: .utf8),
                        relativeTo: URL(fileURLWithPath: $0).deletingLastPathComponent().path
                    ).catalog
                }
                ?? CasePolicy.builtIn.catalog
            var all: [CaseStatus] = []
            for c in try await store.cases() {
                if let status = try await store.caseStatus(ref: c.ref, catalog: catalog) { all.append(status) }
            }
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            print(String(decoding: try enc.encode(all), as: UTF8.self))
            return
        }
        var table = TextTable(["case", "subject", "schema", "state", "opened", "insurers", "notifications"])
        let sent = Dictionary(grouping: try await store.notifications(ref: nil), by: \.ref)
        for c in try await store.cases() {
            let mine = sent[c.ref] ?? []
            table.add([
                c.ref, c.subject, c.schema.isEmpty ? "-" : c.schema, c.state, c.openedAt,
                c.insurers.map { "\($0.id):\($0.state)" }.joined(separator: " "),
                c.insurers.map { i in
                    "\(i.id): \(NotificationRecord.summary(mine.filter { $0.insurer == i.id }))"
                }.joined(separator: "; "),
            ])
        }
        print(table.render(), terminator: "")
    }
}

/// `case-server guidance --db DB`: which guidance each event type got, and how.
struct GuidanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guidance",
        abstract: "Show each event type's guidance link: configured, or taken from the most similar known type."
    )

    @Option(name: .long, help: "The server's database: its SQLite file or postgres:// URL.") var db: String

    func run() async throws {
        var table = TextTable(["type", "guidance", "how", "from (shared)"])
        for l in try await StoreOption.open(db).guidanceLinks() {
            table.add([l.type, l.guidanceID, l.how, l.similarTo.map { "\($0) (\(l.shared ?? ""))" } ?? "-"])
        }
        print(table.render(), terminator: "")
    }
}
