import ArgumentParser
import Foundation
import Glibc
import GatewayCore
import GatewayLinux
import Logging
import Metrics
import Prometheus

/// `gatewayd [run] [--config PATH]`: the daemon.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the daemon (the default).")

    @Option(name: .long, help: "Configuration file (default: $GATEWAYD_CONFIG, else \(GatewayConfig.defaultPath)).")
    var config: String?

    @OptionGroup var log: LogOptions

    @Flag(name: .long, help: "Check this terminal (config, keys, spool, forwarder, server) and exit: 0 when scans can be delivered.")
    var probe = false

    @Flag(name: .long, help: "With --probe: print JSON, [{name, status, detail}].")
    var json = false

    func run() async throws {
        // Everything gatewayd creates (spool, FIFOs it makes, keys) is private to the service.
        umask(0o077)
        if probe {
            let path = config ?? ProcessInfo.processInfo.environment["GATEWAYD_CONFIG"] ?? GatewayConfig.defaultPath
            let checks = await Probe.run(configPath: path)
            if json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try enc.encode(checks), as: UTF8.self))
            } else {
                print(Probe.table(checks))
            }
            if checks.contains(where: { $0.status == .fail }) { throw ExitCode(1) }
            return
        }
        let logger = log.bootstrap(label: "gatewayd")
        do {
            let path = config ?? ProcessInfo.processInfo.environment["GATEWAYD_CONFIG"] ?? GatewayConfig.defaultPath
            let cfg = try GatewayDaemon.loadConfig(path: path)
            var registry: PrometheusCollectorRegistry?
            if cfg.metricsListen != nil {
                let r = PrometheusCollectorRegistry()
                MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: r))
                registry = r
            }
            let daemon = try GatewayDaemon(config: cfg, logger: logger, metrics: registry)
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
