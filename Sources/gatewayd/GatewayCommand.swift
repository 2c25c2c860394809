import ArgumentParser
import GatewayCore
import GatewayLinux
import Logging

@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatewayd",
        abstract: "Reads tag scanners, seals each scan and delivers it to the case server.",
        version: GatewayVersion.string,
        subcommands: [RunCommand.self, KeygenCommand.self, DecodeCommand.self, DecodeImageCommand.self, RedactCommand.self, SpoolCommand.self],
        defaultSubcommand: RunCommand.self)
}

/// Options every subcommand that logs shares.
struct LogOptions: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func bootstrap(label: String) -> Logger {
        let level = logLevel
        // Under systemd, stderr is the journal: one line per event with its priority.
        let journal = JournalLogHandler.stderrIsJournal()
        LoggingSystem.bootstrap { name in
            if journal {
                var h = JournalLogHandler(label: name)
                h.logLevel = level
                return h
            }
            var h = StreamLogHandler.standardError(label: name)
            h.logLevel = level
            return h
        }
        return Logger(label: label)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
