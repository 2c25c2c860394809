import ArgumentParser
import Glibc
import GatewayCore
import GatewayLinux
import Logging

/// `gatewayd [run] [--config PATH]`: the daemon.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the daemon (the default).")

    @Option(name: .long, help: "Configuration file.")
    var config: String = GatewayConfig.defaultPath

    @OptionGroup var log: LogOptions

    func run() async throws {
        // Everything gatewayd creates (spool, FIFOs it makes, keys) is private to the service.
        umask(0o077)
        let logger = log.bootstrap(label: "gatewayd")
        do {
            let cfg = try GatewayDaemon.loadConfig(path: config)
            let daemon = try GatewayDaemon(config: cfg, logger: logger)
            try await daemon.run(logger: logger)
        } catch {
            logger.critical("gatewayd cannot start", metadata: ["error": "\(error)"])
            FileHandleStderr.write("gatewayd: \(error)\n")
            throw ExitCode(78)  // EX_CONFIG
        }
    }
}

enum FileHandleStderr {
    static func write(_ s: String) {
        var bytes = Array(s.utf8)
        _ = Glibc.write(2, &bytes, bytes.count)
    }
}
