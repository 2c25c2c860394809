import ArgumentParser
import GatewayCore
import GatewayLinux
import GatewaySystem
import Logging

@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatewayd",
        abstract: "Reads tag scanners, seals each scan and delivers it to the case server.",
        discussion: """
            Without a subcommand gatewayd runs the daemon (see `gatewayd run --help`). Scans are \
            decoded, redacted, sealed (HPKE, RFC 9180) and kept in a durable spool until the case \
            server has them; no personal data leaves the terminal or rests on its disk in the clear.

            Examples:
              gatewayd --probe                    ready? exit 0 when scans can go out
              gatewayd --probe --listen 30        show scans as decoded, send nothing
              gatewayd keygen                     device key; register the public key
              gatewayd enroll --server URL --token T   register it with a one-time token
              gatewayd decode ']E04006381333931'  what a label decodes to
              gatewayd spool status               queue, dead letters, forwarder
              systemctl reload gatewayd           re-read the config (SIGHUP)

            Files: /etc/gatewayd/gatewayd.toml (config), /var/lib/gatewayd (spool, keys). \
            Exit status: 0 ok, 1 probe failed, 65 misread (decode), 78 configuration error.
            """,
        version: GatewayVersion.string,
        subcommands: [
            RunCommand.self, KeygenCommand.self, DecodeCommand.self, DecodeImageCommand.self, RedactCommand.self,
            SpoolCommand.self, EnrollCommand.self,
        ],
        defaultSubcommand: RunCommand.self
    )
}

/// Options every subcommand that logs shares.
struct LogOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Log level: trace, debug, info, notice, warning, error, critical.",
            discussion: "Example: --log-level debug (scan content is never logged, at any level)"
        )
    )
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
