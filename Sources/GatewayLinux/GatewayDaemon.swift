import Foundation
import GatewayCore
import GatewaySystem
import Logging
import NIOConcurrencyHelpers
import Prometheus
import ServiceLifecycle
import UnixSignals

/// Assembles the daemon from a validated configuration: keys, spool, sealer, readers and
/// forwarder, as services of one group. Everything that can be wrong with the terminal's
/// set-up (keys, CA, spool directory) fails here, before any reader starts.
///
/// SIGHUP reloads the configuration file (`reload`): a new one that does not load, validate
/// and yield keys, redactor, classifier and deliverer is refused with the reason and the old
/// one keeps running; a good one is applied as `ReloadPlan` says, without stopping readers
/// whose settings did not change.
public final class GatewayDaemon: Sendable {
    public let spool: Spool
    public let services: [any Service]
    private let current: NIOLockedValueBox<GatewayConfig>
    private let configPath: String?
    private let sink: CaptureSink
    private let pool: ReaderPool
    private let forwarder: ForwarderService<Spool, HTTPDeliverer>
    private let notifier: SystemdNotifier
    private let instanceLock: InstanceLock

    public var config: GatewayConfig { current.withLockedValue { $0 } }

    public static func loadConfig(path: String) throws(GatewayStartError) -> GatewayConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .configUnreadable(path: path, detail: (error as NSError).localizedDescription)
        }
        do {
            return try GatewayConfig.parse(
                toml: text,
                directory: (path as NSString).deletingLastPathComponent.isEmpty
                    ? "." : (path as NSString).deletingLastPathComponent
            )
        } catch {
            throw .config(path: path, error: error)
        }
    }

    /// - Parameters:
    ///   - configPath: the file SIGHUP re-reads; nil = no reload.
    ///   - metrics: the Prometheus registry the process bootstrapped swift-metrics with;
    ///     served on `[metrics] listen` when given.
    public init(
        config: GatewayConfig,
        configPath: String? = nil,
        logger: Logger,
        metrics: PrometheusCollectorRegistry? = nil
    ) throws {
        current = NIOLockedValueBox(config)
        self.configPath = configPath
        let captureSealer = try Self.makeCaptureSealer(config)
        instanceLock = try InstanceLock(spoolPath: config.spool.path)
        spool = try Spool(path: config.spool.path, limits: config.spool.limits)
        let doorbell = Doorbell()
        let (tracker, contextServices) = Self.makeContext(config, logger: logger)
        // Reader health goes to the runtime directory too, for `--probe` in another process.
        let readerStates = ReaderStates(health: ReaderHealthBoard(directory: RuntimeDirectory.path))
        let sinkBox = NIOLockedValueBox<CaptureSink?>(nil)
        let spool = self.spool
        let feedback = config.kiosk.map { k in
            FeedbackHub(
                recent: k.recent,
                followCap: .seconds(k.followCapSeconds),
                live: Self.kioskLive(config, readers: readerStates, tracker: tracker, sink: sinkBox)
            )
        }
        let sink = CaptureSink(
            spool: spool,
            sealer: captureSealer,
            doorbell: doorbell,
            context: tracker,
            feedback: feedback,
            logger: logger
        )
        self.sink = sink
        sinkBox.withLockedValue { $0 = sink }
        pool = ReaderPool(readers: config.readers, sink: sink, states: readerStates, logger: logger)
        var services: [any Service] = [pool]
        services += contextServices
        if let interval = config.heartbeatInterval {
            let ids = config.readers.map(\.id)
            let lines = Set(config.readers.filter { $0.kind == .line }.map(\.id))
            services.append(
                HeartbeatService(
                    sink: sink,
                    spool: spool,
                    device: config.device.id,
                    readers: { readerStates.describe(ids, alwaysOpen: lines) },
                    interval: interval,
                    logger: logger
                )
            )
        }
        forwarder = ForwarderService(
            spool: spool,
            deliverer: try HTTPDeliverer(config: config),
            doorbell: doorbell,
            batchMax: config.forward.batchMax,
            batchMaxBytes: config.forward.batchMaxBytes,
            linger: config.forward.linger,
            backoff: Backoff(base: config.forward.backoffBase, cap: config.forward.backoffCap),
            feedback: feedback,
            logger: logger
        )
        services.append(forwarder)
        if let feedback, let k = config.kiosk {
            services.append(
                KioskService(
                    hub: feedback,
                    host: k.host,
                    port: k.port,
                    configPath: configPath,
                    language: k.language,
                    reply: { reply, answer in try sink.commitReply(reply, answer: answer) },
                    logger: logger
                )
            )
            if k.followCases {
                let forwarder = forwarder
                services.append(
                    CaseFollower(hub: feedback, deliverer: { forwarder.currentDeliverer() }, logger: logger)
                )
            }
        }
        if let metrics, let listen = config.metricsListen {
            services.append(MetricsService(registry: metrics, host: listen.host, port: listen.port, logger: logger))
        }
        services.append(FootprintService(logger: logger))
        notifier = SystemdNotifier()
        if notifier.enabled {
            services.append(
                SystemdService(notifier: notifier, spool: spool, forwarder: forwarder.board, logger: logger)
            )
        }
        self.services = services
        let status = try spool.status()
        logger.info(
            "gatewayd ready",
            metadata: [
                "device": "\(config.device.id)", "readers": "\(config.readers.count)",
                "server_key_id": "\(captureSealer.sealer.serverKeyID)",
                "next_server_key_id": "\(captureSealer.sealer.next?.keyID ?? "-")",
                "redaction_rules": "\(captureSealer.redactor.rules.count)",
                "spool_depth": "\(status.depth)", "spool_mb": "\(status.bytes >> 20)",
                "dead_letters": "\(status.deadLetters)",
                "dropped_total": "\(status.droppedTotal)", "overflow": "\(config.spool.limits.overflow.rawValue)",
                "version": "\(GatewayVersion.string)",
            ]
        )
    }

    /// What the kiosk page shows besides the scans and the spool (which the forwarder posts to
    /// the hub): readers, the operator session (whether, not who) and the location as redaction
    /// leaves it.
    static func kioskLive(
        _ config: GatewayConfig,
        readers: ReaderStates,
        tracker: ContextTracker?,
        sink: NIOLockedValueBox<CaptureSink?>
    ) -> FeedbackHub.Live {
        let ids = config.readers.map(\.id)
        let lines = Set(config.readers.filter { $0.kind == .line }.map(\.id))
        return FeedbackHub.Live(
            device: config.device.id,
            readers: { readers.describe(ids, alwaysOpen: lines) },
            operatorView: {
                let now = Clocks.monotonicNanos()
                guard let t = tracker?.sessionNow(monotonicNanos: now) else {
                    return .init(tracked: false, signedIn: false)
                }
                return .init(tracked: t.tracked, signedIn: t.signedIn, expiresInS: t.expiresInS)
            },
            location: { sink.withLockedValue { $0 }?.redactedLocationNow() }
        )
    }

    /// Keys, redaction rules (with the site key when a rule hashes), label schemas and reader
    /// hints: everything that turns a scan into an envelope.
    public static func makeCaptureSealer(_ config: GatewayConfig) throws -> CaptureSealer {
        CaptureSealer(
            classifier: try config.makeClassifier(),
            sealer: try makeEnvelopeSealer(config),
            redactor: try makeRedactor(config),
            hints: config.decodeHints
        )
    }

    /// The device key, the server key and the next server key, as `[device]` and `[server]` name them.
    /// The device key's KEM (X25519 or P-256) picks the suite; a server key of the other KEM
    /// is refused here, at start, rather than at the first scan.
    /// A key in the TPM (`private_key = "tpm:…"`) must open now: a wrong handle or a missing TPM
    /// stops the start with the reason; once running, a TPM that stops answering holds the
    /// readers instead (`CaptureSink.commit`).
    public static func makeEnvelopeSealer(_ config: GatewayConfig) throws -> EnvelopeSealer {
        let deviceKey: any StaticKeyAgreement
        if let handle = config.device.tpmHandle {
            deviceKey = try TPMDeviceKey.shared(handle: handle)
        } else {
            deviceKey = try KeyFile.loadAgreementKey(config.device.privateKeyPath, role: "device")
        }
        func loadServerKey(_ path: String) throws(KeyFileError) -> SealingPublicKey {
            let key = try KeyFile.loadAgreementPublicKey(path, role: "server")
            guard key.kem == deviceKey.kem else {
                throw .badFormat(
                    path: path,
                    detail:
                        "this server key is \(key.kem) but the device key \(config.device.privateKeyPath) is \(deviceKey.kem); both must be of one kind (case-server keygen --p256 makes a P-256 server key)"
                )
            }
            return key
        }
        let serverKey = try loadServerKey(config.server.publicKeyPath)
        let next = try config.server.next.map { n throws(KeyFileError) in
            EnvelopeSealer.NextServerKey(
                key: try loadServerKey(n.publicKeyPath),
                keyID: n.keyID,
                fromNanos: n.fromNanos
            )
        }
        return EnvelopeSealer(
            device: config.device.id,
            deviceKey: deviceKey,
            serverKey: serverKey,
            serverKeyID: config.server.keyID,
            next: next
        )
    }

    /// Where, who and when: the context tracker (gpsd, operator sessions, geofence) and the
    /// gpsd client service that feeds it; none when neither is configured.
    public static func makeContext(_ config: GatewayConfig, logger: Logger) -> (ContextTracker?, [any Service]) {
        guard config.gps != nil || config.operatorSessions != nil else { return (nil, []) }
        let gpsState = config.gps.map { _ in GPSState() }
        let tracker = ContextTracker(
            gps: gpsState,
            policy: FixPolicy(maxAgeSeconds: config.gps?.maxAgeSeconds ?? GatewayConfig.GPS.defaultMaxAgeSeconds),
            maxSkewMs: config.gps?.maxClockSkewMs ?? GatewayConfig.GPS.defaultMaxClockSkewMs,
            session: config.operatorSessions.map {
                OperatorSession(timeoutSeconds: $0.timeoutSeconds, logoutSubject: $0.logoutSubject)
            },
            fence: config.geofence,
            logger: logger
        )
        guard let g = config.gps, let gpsState else { return (tracker, []) }
        let stop = StopSignal()
        let client = GPSDClient(source: .init(g), state: gpsState, stop: stop, logger: logger)
        return (tracker, [ThreadService(name: "gpsd", stop: stop, body: { client.run() })])
    }

    /// The configured redaction rules with the site key loaded when a rule hashes.
    public static func makeRedactor(_ config: GatewayConfig) throws(KeyFileError) -> Redactor {
        let rules = config.redact.rules
        guard Redactor.needsSiteKey(rules) else { return Redactor(rules: rules, pseudonymizer: nil) }
        let key = try KeyFile.loadSiteKey(config.redact.siteKeyPath)
        return Redactor(rules: rules, pseudonymizer: Pseudonymizer(keyBytes: key))
    }

    /// What a reload did.
    public enum ReloadResult: Sendable, Equatable {
        case applied(ReloadPlan)
        case refused(String)
    }

    /// Re-reads the configuration file and applies it, or refuses it whole. Every part is
    /// built (keys read, rules compiled, TLS set up) before anything running is touched.
    @discardableResult
    public func reload(logger: Logger) -> ReloadResult {
        guard let configPath else { return .refused("no configuration file to re-read") }
        if notifier.enabled { notifier.notify("RELOADING=1\nMONOTONIC_USEC=\(Clocks.monotonicNanos() / 1000)") }
        defer { if notifier.enabled { notifier.notify("READY=1") } }
        let old = config
        let new: GatewayConfig
        let captureSealer: CaptureSealer
        let deliverer: HTTPDeliverer
        do {
            new = try Self.loadConfig(path: configPath)
            captureSealer = try Self.makeCaptureSealer(new)
            deliverer = try HTTPDeliverer(config: new)
        } catch {
            logger.error(
                "reload refused; the running configuration stays",
                metadata: ["config": "\(configPath)", "error": "\(error)"]
            )
            return .refused("\(error)")
        }
        let plan = ReloadPlan.between(old, new)
        if let why = plan.refused {
            Task { await deliverer.shutdown() }
            logger.error(
                "reload refused; the running configuration stays",
                metadata: ["config": "\(configPath)", "error": "\(why)"]
            )
            return .refused(why)
        }
        sink.replace(sealer: captureSealer)
        forwarder.replace(deliverer: deliverer, drainAfter: old.forward.requestTimeout + .seconds(1))
        pool.update(new.readers)
        current.withLockedValue { $0 = new }
        logger.notice(
            "configuration reloaded",
            metadata: [
                "config": "\(configPath)", "readers_added": "\(plan.added)", "readers_removed": "\(plan.removed)",
                "readers_reopened": "\(plan.reopened)", "server_key_id": "\(captureSealer.sealer.serverKeyID)",
                "redaction_rules": "\(captureSealer.redactor.rules.count)", "schemas": "\(new.schemas.count)",
                "pending_restart": "\(plan.pendingRestart)",
            ]
        )
        for w in ConfigWarnings.of(new, nowNanos: Clocks.wallNanos()) {
            logger.warning("configuration warning", metadata: ["warning": "\(w)"])
        }
        return .applied(plan)
    }

    /// Runs until SIGTERM or SIGINT, then stops readers (each finishes its current commit) and
    /// the forwarder. SIGHUP reloads the configuration.
    public func run(logger: Logger) async throws {
        let reloader = await ReloadService(daemon: self, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: (services + [reloader]).map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        // Start-up is over: options, config, keys, TLS set-up and the spool's migrations ran
        // and are not run again. Their code pages go now, before any service (and so before
        // READY=1), not at the footprint service's first step; what the services use is mapped
        // again as they run.
        MemoryFootprint.releaseUnusedPages(logger: logger)
        try await group.run()
    }
}

/// Turns SIGHUP into `GatewayDaemon.reload`, one at a time, until shutdown.
///
/// The signal is trapped when the service is made (`UnixSignalsSequence`'s initializer installs
/// its handler and ignores the default action) — before the service group starts and so before
/// READY=1 reaches systemd — not when `run()` first waits: a `systemctl reload` right after READY
/// must not find SIGHUP still at its default, which ends the process. Hang-ups that come during a
/// reload are folded into one more reload, which reads the latest file anyway.
struct ReloadService: Service {
    let daemon: GatewayDaemon
    let logger: Logger
    private let hangups: UnixSignalsSequence

    init(daemon: GatewayDaemon, logger: Logger) async {
        self.daemon = daemon
        self.logger = logger
        hangups = await UnixSignalsSequence(trapping: .sighup)
    }

    func run() async {
        // One pending reload at most: a burst of hang-ups during a reload makes one more.
        let (pending, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [hangups] in
                for await _ in hangups { wake.yield() }
                wake.finish()
            }
            for await _ in pending.cancelOnGracefulShutdown() {
                logger.info("SIGHUP: reloading the configuration")
                // Reads the file and its keys and sets up TLS: a thread of its own.
                _ = await OwnThread.run(name: "reload") { [daemon, logger] in daemon.reload(logger: logger) }
            }
            group.cancelAll()
        }
    }
}

public enum GatewayStartError: Error, CustomStringConvertible {
    case configUnreadable(path: String, detail: String)
    case config(path: String, error: ConfigError)

    public var description: String {
        switch self {
        case .configUnreadable(let path, let detail):
            return
                "cannot read config \(path): \(detail); pass --config PATH or create the file (see gatewayd.example.toml)"
        case .config(let path, let error):
            return "\(path): \(error)"
        }
    }
}
