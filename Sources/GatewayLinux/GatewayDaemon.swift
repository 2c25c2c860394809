import Foundation
import GatewayCore
import Logging
import Prometheus
import ServiceLifecycle

/// Assembles the daemon from a validated configuration: keys, spool, sealer, readers and
/// forwarder, as services of one group. Everything that can be wrong with the terminal's
/// set-up (keys, CA, spool directory) fails here, before any reader starts.
public struct GatewayDaemon {
    public let config: GatewayConfig
    public let spool: Spool
    public let services: [any Service]

    public static func loadConfig(path: String) throws(GatewayStartError) -> GatewayConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .configUnreadable(path: path, detail: (error as NSError).localizedDescription)
        }
        do {
            return try GatewayConfig.parse(toml: text, directory: (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent)
        } catch {
            throw .config(path: path, error: error)
        }
    }

    /// - Parameter metrics: the Prometheus registry the process bootstrapped swift-metrics with;
    ///   served on `[metrics] listen` when given.
    public init(config: GatewayConfig, logger: Logger, metrics: PrometheusCollectorRegistry? = nil) throws {
        self.config = config
        let deviceKey = try KeyFile.loadPrivate(config.device.privateKeyPath, role: "device")
        let serverKey = try KeyFile.loadPublic(config.server.publicKeyPath, role: "server")
        let next = try config.server.next.map { n throws(KeyFileError) in
            EnvelopeSealer.NextServerKey(key: try KeyFile.loadPublic(n.publicKeyPath, role: "server"), keyID: n.keyID, fromNanos: n.fromNanos)
        }
        let sealer = EnvelopeSealer(device: config.device.id, deviceKey: deviceKey, serverKey: serverKey, serverKeyID: config.server.keyID, next: next)
        let redactor = try Self.makeRedactor(config)
        let classifier = try config.makeClassifier()
        spool = try Spool(path: config.spool.path, limits: config.spool.limits)
        let doorbell = Doorbell()
        let gpsState = config.gps.map { _ in GPSState() }
        let tracker = (config.gps != nil || config.operatorSessions != nil) ? ContextTracker(
            gps: gpsState, policy: FixPolicy(maxAgeSeconds: config.gps?.maxAgeSeconds ?? 10), maxSkewMs: config.gps?.maxClockSkewMs ?? 2000,
            session: config.operatorSessions.map { OperatorSession(timeoutSeconds: $0.timeoutSeconds, logoutSubject: $0.logoutSubject) },
            fence: config.geofence, logger: logger) : nil
        let sink = CaptureSink(spool: spool, sealer: CaptureSealer(classifier: classifier, sealer: sealer, redactor: redactor, hints: config.decodeHints),
                               doorbell: doorbell, context: tracker, logger: logger)
        let deliverer = try HTTPDeliverer(
            serverURL: config.server.url, caPath: config.server.caPath,
            clientCertPath: config.server.clientCertPath, clientKeyPath: config.server.clientKeyPath, pins: config.server.pins,
            connectTimeout: config.forward.connectTimeout, readTimeout: config.forward.readTimeout,
            requestTimeout: config.forward.requestTimeout)
        let lineReaders = config.readers.filter { $0.kind == .line }
        let hasher = lineReaders.isEmpty ? nil : InputMarkHasher(logger: logger)
        var services: [any Service] = lineReaders.map { LineReaderService($0, sink: sink, hasher: hasher!, logger: logger) }
        let deviceReaders = config.readers.filter { $0.kind != .line }
        let readerStates = ReaderStates()
        if !deviceReaders.isEmpty {
            services.append(ReaderSupervisor(readers: deviceReaders, sink: sink, states: readerStates, logger: logger))
        }
        if let g = config.gps, let gpsState {
            let stop = StopSignal()
            let client = GPSDClient(host: g.host, port: g.port, state: gpsState, stop: stop, logger: logger)
            services.append(ThreadService(name: "gpsd", stop: stop, body: { client.run() }))
        }
        if let interval = config.heartbeatInterval {
            let ids = config.readers.map(\.id), lines = Set(lineReaders.map(\.id))
            services.append(HeartbeatService(sink: sink, spool: spool, device: config.device.id,
                                             readers: { readerStates.describe(ids, alwaysOpen: lines) }, interval: interval, logger: logger))
        }
        services.append(ForwarderService(
            spool: spool, deliverer: deliverer, doorbell: doorbell, batchMax: config.forward.batchMax,
            batchMaxBytes: config.forward.batchMaxBytes, linger: config.forward.linger,
            backoff: Backoff(base: config.forward.backoffBase, cap: config.forward.backoffCap), logger: logger))
        if let metrics, let listen = config.metricsListen {
            services.append(MetricsService(registry: metrics, host: listen.host, port: listen.port, logger: logger))
        }
        let notifier = SystemdNotifier()
        if notifier.enabled {
            services.append(SystemdService(notifier: notifier, spool: spool, logger: logger))
        }
        self.services = services
        let status = try spool.status()
        logger.info("gatewayd ready", metadata: [
            "device": "\(config.device.id)", "readers": "\(config.readers.count)", "server_key_id": "\(sealer.serverKeyID)",
            "next_server_key_id": "\(sealer.next?.keyID ?? "-")", "redaction_rules": "\(redactor.rules.count)",
            "spool_depth": "\(status.depth)", "spool_mb": "\(status.bytes >> 20)", "dead_letters": "\(status.deadLetters)",
            "dropped_total": "\(status.droppedTotal)", "overflow": "\(config.spool.limits.overflow.rawValue)", "version": "\(GatewayVersion.string)",
        ])
    }

    /// The configured redaction rules with the site key loaded when a rule hashes.
    public static func makeRedactor(_ config: GatewayConfig) throws(KeyFileError) -> Redactor {
        let rules = config.redact.rules
        guard Redactor.needsSiteKey(rules) else { return Redactor(rules: rules, pseudonymizer: nil) }
        let key = try KeyFile.loadSiteKey(config.redact.siteKeyPath)
        return Redactor(rules: rules, pseudonymizer: Pseudonymizer(keyBytes: key))
    }

    /// Runs until SIGTERM or SIGINT, then stops readers (each finishes its current commit) and
    /// the forwarder. A reader whose input ends (stdin) stops alone; the forwarder goes on.
    public func run(logger: Logger) async throws {
        let configs = services.map { s -> ServiceGroupConfiguration.ServiceConfiguration in
            if s is LineReaderService {
                return .init(service: s, successTerminationBehavior: .ignore)
            }
            return .init(service: s)
        }
        let group = ServiceGroup(configuration: .init(services: configs, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

public enum GatewayStartError: Error, CustomStringConvertible {
    case configUnreadable(path: String, detail: String)
    case config(path: String, error: ConfigError)

    public var description: String {
        switch self {
        case .configUnreadable(let path, let detail):
            return "cannot read config \(path): \(detail); pass --config PATH or create the file (see gatewayd.example.toml)"
        case .config(let path, let error):
            return "\(path): \(error)"
        }
    }
}
