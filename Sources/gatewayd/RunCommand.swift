import ArgumentParser
import Foundation
import Glibc
import GatewayCore
import GatewayLinux
import Logging

/// `gatewayd [run] [--config PATH]`: the daemon.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the daemon (the default).")

    @Option(name: .long, help: "Configuration file (default: $GATEWAYD_CONFIG, else \(GatewayConfig.defaultPath)).")
    var config: String?

    @OptionGroup var log: LogOptions

    func run() async throws {
        // Everything gatewayd creates (spool, FIFOs it makes, keys) is private to the service.
        umask(0o077)
        let logger = log.bootstrap(label: "gatewayd")
        do {
            let path = config ?? ProcessInfo.processInfo.environment["GATEWAYD_CONFIG"] ?? GatewayConfig.defaultPath
            let cfg = try GatewayDaemon.loadConfig(path: path)
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
