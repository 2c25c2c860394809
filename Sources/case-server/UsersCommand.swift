import ArgumentParser
import CaseServerKit
import Foundation
import GatewayCore
import GatewaySystem

/// `case-server users add|passwd|disable|list --db DB`: the supervision console's accounts
/// (docs/console.md). A password is read from standard input, or asked for without echo on a
/// terminal, never from the command line (where `ps` and shell history would show it). Every
/// change is written to the console's audit log as done by "cli".
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Add, list and disable the supervision console's accounts, and set their passwords.",
        discussion: """
            Examples:
              case-server users add admin --role admin --db cases.db
              case-server users add li --role handler --site depot-a --language zh-Hans --time-zone Asia/Shanghai --db cases.db
              case-server users add north-desk --role insurer --insurer north --db cases.db
              printf '%s\\n' "$PASSWORD" | case-server users passwd li --db cases.db
              case-server users disable li --db cases.db
              case-server users list --db cases.db
            """,
        subcommands: [Add.self, Passwd.self, Disable.self, List.self]
    )

    struct Options: ParsableArguments {
        @Option(name: .long, help: "The server's database: its SQLite file or postgres:// URL.") var db: String
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account; its password is read from standard input (asked for on a terminal)."
        )
        @Argument(help: "The account's name (letters, digits, '.', '_', '-').") var name: String
        @Option(name: .long, help: "handler, insurer or admin.") var role: String
        @Option(name: .long, help: "A handler's site (a [[site]] id of the policy, or * for every site); repeat.")
        var site: [String] = []
        @Option(name: .long, help: "An insurer account's insurer (an [[insurer]] id of the policy).") var insurer:
            String?
        @Option(name: .long, help: "The console's language for this account: en or zh-Hans.") var language = "en"
        @Option(name: .long, help: "Where its dates and times are written for (IANA name, e.g. Asia/Shanghai).")
        var timeZone = "UTC"
        @OptionGroup var options: Options

        func validate() throws {
            do { _ = try fields.account(name: name, passwordHash: "") } catch { throw ValidationError("\(error)") }
        }

        var fields: ConsoleAccountFields {
            ConsoleAccountFields(
                role: role,
                sites: site.joined(separator: ","),
                insurer: insurer ?? "",
                language: language,
                timeZone: timeZone
            )
        }

        func run() async throws {
            var account = try fields.account(name: name, passwordHash: "")
            let password = try PasswordInput.read(confirm: true)
            account.passwordHash = try await ConsolePasswords.hash(password)
            let store = try await StoreOption.open(options.db)
            try await refusal {
                try await store.addAccount(account, nowNanos: Clocks.wallNanos())
            }
            try await store.appendAudit(
                ConsoleAuditEntry(
                    atNanos: Clocks.wallNanos(),
                    actor: "cli",
                    action: "user-add",
                    object: name,
                    detail: account.auditDetail
                )
            )
            print("\(name): added (\(account.role.rawValue))")
            if account.role == .handler && account.sites.isEmpty {
                FileHandle.standardError.write(
                    Data("case-server: \(name) has no --site and sees no case until it is given one\n".utf8)
                )
            }
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set an account's password (read from standard input); its sessions end and a lock is lifted."
        )
        @Argument(help: "The account's name.") var name: String
        @OptionGroup var options: Options

        func run() async throws {
            let password = try PasswordInput.read(confirm: true)
            let hash = try await ConsolePasswords.hash(password)
            let store = try await StoreOption.open(options.db)
            try await refusal { try await store.setPasswordHash(hash, for: name, nowNanos: Clocks.wallNanos()) }
            try await store.appendAudit(
                ConsoleAuditEntry(atNanos: Clocks.wallNanos(), actor: "cli", action: "user-passwd", object: name)
            )
            print("\(name): password set; its sessions have ended")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable an account: it cannot sign in, and its sessions end at once."
        )
        @Argument(help: "The account's name.") var name: String
        @OptionGroup var options: Options

        func run() async throws {
            let store = try await StoreOption.open(options.db)
            try await refusal { try await store.disableAccount(name, nowNanos: Clocks.wallNanos()) }
            try await store.appendAudit(
                ConsoleAuditEntry(atNanos: Clocks.wallNanos(), actor: "cli", action: "user-disable", object: name)
            )
            print("\(name): disabled; its sessions have ended")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every account, with its role and state.")
        @OptionGroup var options: Options

        func run() async throws {
            let store = try await StoreOption.open(options.db, mustExist: true)
            let now = Clocks.wallNanos()
            var table = TextTable(["name", "role", "sites", "insurer", "language", "time_zone", "state"])
            for a in try await store.accounts() {
                let state =
                    a.disabled
                    ? "disabled"
                    : a.isLocked(nowNanos: now)
                        ? "locked until \(RFC3339.format(unixNanos: a.lockedUntilNanos!))" : "active"
                table.add([
                    a.name, a.role.rawValue, a.sites.isEmpty ? "-" : a.sites.joined(separator: ","), a.insurer ?? "-",
                    a.language, a.timeZone, state,
                ])
            }
            print(table.render(), terminator: "")
        }
    }
}

/// Runs an account change; a refusal (`ConsoleDirectoryError`) is printed and exits 1.
private func refusal(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let e as ConsoleDirectoryError {
        FileHandle.standardError.write(Data("case-server: \(e)\n".utf8))
        throw ExitCode(1)
    }
}

/// A new password: asked for twice without echo on a terminal, else one line of standard input.
/// A refusal is said on stderr (exit status 1), not as a usage error: the arguments were right.
enum PasswordInput {
    static func read(confirm: Bool) throws -> String {
        do {
            return try ask(confirm: confirm)
        } catch let e as ValidationError {
            FileHandle.standardError.write(Data("case-server: \(e.message)\n".utf8))
            throw ExitCode(1)
        }
    }

    private static func ask(confirm: Bool) throws -> String {
        let password: String
        if isatty(STDIN_FILENO) == 1 {
            password = prompt("New password: ")
            if confirm, prompt("Again: ") != password {
                throw ValidationError("the two passwords differ; nothing was changed")
            }
        } else {
            guard let line = Swift.readLine(strippingNewline: true) else {
                throw ValidationError("no password on standard input: give it as one line")
            }
            password = line
        }
        do { try ConsolePasswords.check(password) } catch { throw ValidationError("\(error)") }
        return password
    }

    /// Reads a line from the terminal with echo off (getpass(3)).
    private static func prompt(_ text: String) -> String {
        guard let p = getpass(text) else { return "" }
        return String(cString: p)
    }
}
