import ArgumentParser
import CaseServerKit
import Crypto
import Foundation
import GatewayCore
import GatewaySystem
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

/// `case-server serve`: HTTPS only, like the gateways it talks to.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Receive envelopes over HTTPS.")

    @Option(name: .long, help: "Address to listen on.") var host = "127.0.0.1"
    @Option(name: .long, help: "Port; 0 picks a free one (see --ready-file).") var port = 8443
    @Option(name: .long, help: "TLS certificate chain (PEM).") var cert: String
    @Option(name: .long, help: "TLS private key (PEM).") var tlsKey: String
    @Option(name: .long, help: "Require TLS client certificates signed by this CA (PEM): mutual TLS.") var clientCA:
        String?
    @Option(
        name: .long,
        help:
            "HPKE private key (PEM), as PATH or KEYID=PATH; repeat for key rotation (every key also answers to its derived id)."
    ) var privateKey: [String]
    @Option(
        name: .long,
        help:
            "Directory of registered device public keys, <device-id>.pem, besides the store's (case-server devices; the store wins)."
    ) var devices: String?
    @Option(
        name: .long,
        help:
            "Where cases and events are kept: a SQLite file, or postgres://USER@HOST:PORT/DATABASE for several instances (docs/scale-out.md)."
    ) var db: String
    @Option(name: .long, help: "With PostgreSQL: the most database connections this instance holds.")
    var dbConnections = 16
    @Option(name: .long, help: "Write the bound port here once listening.") var readyFile: String?
    @Option(name: .long, help: "Log level.") var logLevel: String = "info"
    @Option(
        name: .long,
        help: "Benchmarks: after each commit append `device seq CLOCK_MONOTONIC-ns` per new event to this file."
    ) var commitLog: String?
    @Option(
        name: .long,
        help:
            "Insurers, coverage and guidance per event type (TOML, docs/case-server.md); default: the built-in guidance, no insurers."
    ) var policy: String?
    @Option(
        name: .long,
        help:
            "File holding the bearer token that POST /v1/cases/{ref}/progress requires; without it that endpoint is off."
    ) var staffTokenFile: String?
    @Flag(
        name: .long,
        help:
            "Serve the supervision console under /console/ (docs/console.md); create its first admin with case-server users add."
    ) var console = false
    @Option(name: .long, help: "Minutes after which an unused console session ends.") var consoleIdleMinutes = 30
    @OptionGroup(title: "Hostile clients (docs/case-server.md)") var hostile: HostileClientOptions

    func validate() throws {
        guard consoleIdleMinutes >= 1 else {
            throw ValidationError("--console-idle-minutes \(consoleIdleMinutes): give a whole number of at least 1")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { name in
            var h = StreamLogHandler.standardError(label: name)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "case-server")
        var named: [String: SealingPrivateKey] = [:]
        for arg in privateKey {
            let (id, path): (String?, String) =
                arg.contains("=") && !arg.hasPrefix("/")
                ? (String(arg.prefix { $0 != "=" }), String(arg.drop { $0 != "=" }.dropFirst())) : (nil, arg)
            let key: SealingPrivateKey
            do { key = try KeyFile.loadAgreementKey(path, role: "server") } catch {
                throw ValidationError("\(error)")
            }
            named[id ?? key.publicKey.keyID] = key
        }
        let keys = Array(named.values)
        let keyIDs = named.keys.sorted()
        guard !keys.isEmpty else { throw ValidationError("give at least one --private-key") }
        let casePolicy: CasePolicy
        if let policy {
            do {
                casePolicy = try CasePolicy.parse(
                    toml: try String(contentsOfFile: policy, encoding: .utf8),
                    relativeTo: URL(fileURLWithPath: policy).deletingLastPathComponent().path
                )
            } catch {
                throw ValidationError("--policy \(policy): \(error)")
            }
        } else {
            casePolicy = .builtIn
        }
        let staffToken = try staffTokenFile.map { path -> String in
            let t = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            guard t.count >= 16 else {
                throw ValidationError("--staff-token-file \(path): the token needs at least 16 characters")
            }
            return t
        }
        let insurerCredentials: InsurerCredentials
        do {
            insurerCredentials = try InsurerCredentials.load(casePolicy, staffToken: staffToken)
        } catch {
            throw ValidationError("--policy \(policy ?? "-"): \(error)")
        }
        let location: CaseStoreLocation
        do { location = try CaseStoreLocation(db) } catch { throw ValidationError("\(error)") }
        if case .sqlite = location { SQLiteProcess.configure() }
        let store: any CaseStore
        do {
            store = try await location.open(logger: logger, connections: dbConnections)
        } catch let e as StoreError {
            logger.critical("database unusable", metadata: ["db": "\(location.description)", "error": "\(e)"])
            throw ExitCode(1)
        }
        var onCommit: (@Sendable ([EventHeader]) -> Void)?
        if let path = commitLog {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw ValidationError(
                    "--commit-log \(path): cannot create it; check that the directory exists and is writable"
                )
            }
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            onCommit = { events in
                let now = Clocks.monotonicNanos()
                log.write(Data(events.map { "\($0.device) \($0.seq) \(now)\n" }.joined().utf8))
            }
        }
        let keyring = DeviceKeyring(directory: store, files: devices.map { DeviceRegistry(directory: $0) })
        let receiver = EnvelopeReceiver(
            opener: EnvelopeOpener(namedServerKeys: named),
            keyring: keyring,
            repository: store,
            policy: casePolicy,
            logger: logger,
            committed: onCommit
        )
        // The console: its cookies are Secure, since this server speaks HTTPS only.
        let consoleParts =
            console
            ? Console(
                directory: store,
                policy: casePolicy,
                settings: ConsoleSettings(
                    idleMinutes: consoleIdleMinutes,
                    secureCookies: true,
                    trustedProxies: Set(hostile.trustedProxy)
                ),
                clock: { Clocks.wallNanos() },
                logger: logger
            ) : nil
        let router = CaseServerRoutes.router(
            receiver: receiver,
            repository: store,
            catalog: casePolicy.catalog,
            staffToken: staffToken,
            clock: { Clocks.wallNanos() },
            logger: logger,
            enrollment: store,
            keyring: keyring,
            insurers: insurerCredentials,
            guards: try hostile.guards(),
            console: consoleParts,
            consolePages: consoleParts.map {
                consolePages(store: store, policy: casePolicy, console: $0, logger: logger)
            },
            messages: store
        )

        let chain = try NIOSSLCertificate.fromPEMFile(cert)
        let tlsPrivate = try NIOSSLPrivateKey(file: tlsKey, format: .pem)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(tlsPrivate)
        )
        if let clientCA {
            tls.certificateVerification = .noHostnameVerification
            tls.trustRoots = .file(clientCA)
        }
        let readyFile = self.readyFile
        var app = Application(
            router: router,
            server: try hostile.server(tls: tls),
            configuration: .init(address: .hostname(host, port: port), serverName: "case-server"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                logger.info(
                    "case-server listening",
                    metadata: ["host": "\(host)", "port": "\(bound)", "server_keys": "\(keyIDs)"]
                )
                if let readyFile {
                    try? "\(bound)\n".write(toFile: readyFile + ".tmp", atomically: false, encoding: .utf8)
                    _ = rename(readyFile + ".tmp", readyFile)
                }
            },
            logger: logger
        )
        // Insurers' notifications: sent from the outbox by this instance's dispatcher.
        let webhookSender = HTTPWebhookSender(userAgent: "case-server/\(GatewayVersion.string)") { Clocks.wallNanos() }
        app.addServices(
            NotificationDispatcher(
                outbox: store,
                sender: webhookSender,
                targets: NotificationDispatcher.targets(casePolicy, credentials: insurerCredentials),
                settings: casePolicy.webhooks,
                clock: { Clocks.wallNanos() },
                logger: logger
            )
        )
        do {
            try await app.runService()
        } catch {
            try? await webhookSender.shutdown()
            throw error
        }
        try await webhookSender.shutdown()
    }

    /// The console's pages (`ConsolePages`), behind its sign-in: cases, a case, terminals,
    /// guidance. The terminals page marks the devices whose key is a file in `--devices`.
    func consolePages(
        store: any CaseStore,
        policy: CasePolicy,
        console: Console,
        logger: Logger
    ) -> @Sendable (Router<CaseServerRequestContext>, RouterGroup<CaseServerRequestContext>) -> Void {
        let devices = self.devices
        return { router, signedIn in
            ConsolePages.add(
                to: router,
                group: signedIn,
                store: store,
                catalog: policy.catalog,
                sites: ConsolePageSites(policy: policy),
                clock: { Clocks.wallNanos() },
                logger: logger,
                audit: { try await console.audit(actor: $0, action: $1, object: $2, detail: $3) },
                pemDevices: {
                    Set(
                        (devices.flatMap { try? FileManager.default.contentsOfDirectory(atPath: $0) } ?? [])
                            .filter { $0.hasSuffix(".pem") }.map { String($0.dropLast(4)) }
                    )
                }
            )
        }
    }
}
