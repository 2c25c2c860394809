import ArgumentParser
import CaseServerKit
import Foundation
import GatewayCore
import GatewaySystem
import Logging

/// The reference case server: receives gatewayd envelopes, opens and stores them. What the
/// demo and the end-to-end tests run against, and the model for integrators.
@main
struct CaseServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case-server",
        abstract: "Reference receiver for gatewayd envelopes (wire format v1).",
        version: GatewayVersion.string,
        subcommands: [
            ServeCommand.self, KeygenCommand.self, EventsCommand.self, TerminalsCommand.self, CasesCommand.self,
            ProgressCommand.self, GuidanceCommand.self, DevicesCommand.self, EnrollCommand.self,
            NotificationsCommand.self, UsersCommand.self,
        ]
    )
}

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Create the server's HPKE key pair and print the public key for gateways' [server] public_key."
    )

    @Option(name: .long, help: "Private key path; the public key goes to PATH.pub.")
    var out: String

    @Flag(
        name: .long,
        help: "A P-256 key (for terminals whose device key is P-256, e.g. held in a TPM) instead of X25519."
    )
    var p256 = false

    func run() throws {
        do {
            let key = try KeyFile.generate(privatePath: out, publicPath: out + ".pub", kem: p256 ? .p256 : .x25519)
            print(key.publicKey.pemRepresentation, terminator: "")
            FileHandle.standardError.write(
                Data("case-server: wrote \(out) (0600) and \(out).pub; key id \(key.publicKey.keyID)\n".utf8)
            )
        } catch {
            FileHandle.standardError.write(Data("case-server: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print the events the server stored."
    )

    @Option(name: .long, help: "The server's database: its SQLite file or postgres:// URL.")
    var db: String

    @Flag(name: .long, help: "One JSON document: {\"events\": [...], \"duplicates\": N, \"rejected\": N}.")
    var json = false

    func run() async throws {
        let store = try await StoreOption.open(db, mustExist: true)
        let events = try await store.events()
        let counters = try await store.counters()
        if json {
            var out = "{\"duplicates\":\(counters.duplicates),\"rejected\":\(counters.rejected),\"events\":["
            out += events.map(\.eventJSON).joined(separator: ",")
            out += "]}"
            print(out)
        } else {
            var table = TextTable(
                ["device", "seq", "class", "schema", "subject", "decoded", "captured_at", "text"],
                rightAligned: [1]
            )
            for e in events {
                guard let ev = try? CaptureEvent.decode(Array(e.eventJSON.utf8)) else { continue }
                let text =
                    ev.heartbeat.map {
                        "heartbeat: spool \($0.spoolDepth), dead letters \($0.deadLetters), fix \($0.fix ?? "-"), up \($0.uptimeS) s"
                    }
                    ?? (ev.text ?? ev.raw.map { "(binary, base64 \($0))" } ?? "(binary, withheld by redaction)")
                    .replacingOccurrences(of: "\u{1D}", with: "<GS>")
                table.add([
                    e.device, String(e.seq), ev.tag.kind.rawValue, ev.tag.schema ?? "-", ev.tag.subject ?? "-",
                    ev.decoded?.format.rawValue ?? (ev.misread != nil ? "MISREAD" : "-"), ev.capturedAt, text,
                ])
            }
            print(table.render(), terminator: "")
            print(
                "\(counters.events) events, \(counters.duplicates) duplicates absorbed, \(counters.rejected) rejected"
            )
        }
    }
}
