import ArgumentParser
import Foundation
import GatewayCore
import GatewayLinux
import Glibc
import Logging
import Metrics
import Prometheus

/// `gatewayd [run] [--config PATH]`: the daemon; `--probe` checks the terminal instead.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon (the default), or check the terminal with --probe.",
        discussion: """
            Reads the configured scanners, decodes, classifies and redacts each scan, seals it (HPKE) \
            into the spool and forwards it to the case server. SIGTERM/SIGINT stop it after the \
            current commit; SIGHUP re-reads the configuration (an invalid one is refused and the \
            running one stays).

            Examples:
              gatewayd                            run with /etc/gatewayd/gatewayd.toml
              gatewayd --config ./site.toml --log-level debug
              gatewayd --probe                    check; exit 0 when scans can go out
              gatewayd --probe --json | jq '.checks[] | select(.status != "ok")'
              gatewayd --probe --listen 30        show scans for 30 s, send nothing
              systemctl reload gatewayd           (SIGHUP) apply an edited config
            """
    )

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Configuration file. Default: $GATEWAYD_CONFIG, else \(GatewayConfig.defaultPath).",
            discussion: "Example: --config /etc/gatewayd/gatewayd.toml",
            valueName: "path"
        )
    )
    var config: String?

    @OptionGroup var log: LogOptions

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Check this terminal and exit: config, keys, readers and their devices, gpsd, spool, forwarder, case server (DNS, TLS chain and expiry, clock, a sealed no-op). Exit status 0 only when scans can be delivered.",
            discussion: "Example: gatewayd --probe"
        )
    )
    var probe = false

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "With --probe: print the report as JSON (schema: /usr/share/doc/gatewayd/docs/probe.schema.json); with --listen: one event per line.",
            discussion: "Example: gatewayd --probe --json > probe.json"
        )
    )
    var json = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --probe: instead of the checks, read the configured readers for this many seconds and print each scan as it would be sealed (class, schema, subject, redacted text). Nothing is spooled or sent; refused while the daemon runs.",
            discussion: "Example: systemctl stop gatewayd; gatewayd --probe --listen 30",
            valueName: "seconds"
        )
    )
    var listen: Double?

    @Option(
        name: .customLong("as-user"),
        help: ArgumentHelp(
            "With --probe: judge device permissions for this user. Default: gatewayd, or you when no such user exists.",
            discussion: "Example: gatewayd --probe --as-user gatewayd",
            valueName: "user"
        )
    )
    var asUser: String?

    func validate() throws {
        if listen != nil && !probe { throw ValidationError("--listen goes with --probe: gatewayd --probe --listen 30") }
        if let l = listen, !(l > 0 && l <= 86400) {
            throw ValidationError("--listen takes seconds between 1 and 86400, e.g. --listen 30")
        }
        if asUser != nil && !probe { throw ValidationError("--as-user goes with --probe") }
    }

    func run() async throws {
        // Everything gatewayd creates (spool, FIFOs it makes, keys) is private to the service.
        umask(0o077)
        let path = config ?? ProcessInfo.processInfo.environment["GATEWAYD_CONFIG"] ?? GatewayConfig.defaultPath
        if probe, let seconds = listen {
            let logger = log.bootstrap(label: "gatewayd")
            do {
                _ = try await ProbeListener.run(configPath: path, seconds: seconds, json: json, logger: logger)
            } catch {
                FileHandleStderr.write("gatewayd: \(error)\n")
                throw ExitCode(1)
            }
            return
        }
        if probe {
            let report = await Probe.run(configPath: path, user: asUser)
            if json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try enc.encode(report), as: UTF8.self))
            } else {
                print(report.table)
            }
            if !report.ok { throw ExitCode(1) }
            return
        }
        // SIGHUP means reload; until the reload service listens (a few ms after start) it must
        // not take the default action, which would end the daemon.
        signal(SIGHUP, SIG_IGN)
        MemoryFootprint.limitArenas()
        let logger = log.bootstrap(label: "gatewayd")
        do {
            let cfg = try GatewayDaemon.loadConfig(path: path)
            var registry: PrometheusCollectorRegistry?
            if cfg.metricsListen != nil {
                let r = PrometheusCollectorRegistry()
                var factory = PrometheusMetricsFactory(registry: r)
                // Delivery on a LAN takes milliseconds, over a mobile link up to the timeouts.
                factory.durationHistogramBuckets["gatewayd_forward_duration_seconds"] =
                    [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000].map { .milliseconds($0) }
                MetricsSystem.bootstrap(factory)
                registry = r
            }
            let daemon = try GatewayDaemon(config: cfg, configPath: path, logger: logger, metrics: registry)
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
