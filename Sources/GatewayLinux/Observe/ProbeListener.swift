import Crypto
import Foundation
import GatewayCore
import Glibc
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// `gatewayd --probe --listen SECONDS`: the configured readers, decoders, schemas and
/// redaction rules, with every scan printed as it would be sealed — and nothing spooled or
/// sent. A technician scans a test label and sees its class, schema and subject at once.
///
/// It takes the spool's instance lock, so it refuses to run beside the daemon (both would read
/// the same devices and FIFOs, and a scan shown here would never reach the server). Keys are
/// not needed: the events are never sealed. The site key is, when a rule hashes, so that
/// pseudonyms read as they will at the server.
public enum ProbeListener {
    public static func run(configPath: String, seconds: Double, json: Bool, logger: Logger) async throws -> Int {
        let config = try GatewayDaemon.loadConfig(path: configPath)
        let lock = try InstanceLock(spoolPath: config.spool.path)
        defer { withExtendedLifetime(lock) {} }
        let throwaway = Curve25519.KeyAgreement.PrivateKey()
        let sealer = CaptureSealer(
            classifier: try config.makeClassifier(),
            sealer: EnvelopeSealer(device: config.device.id, deviceKey: throwaway, serverKey: throwaway.publicKey),
            redactor: try GatewayDaemon.makeRedactor(config),
            hints: config.decodeHints
        )
        let count = NIOLockedValueBox(0)
        let (tracker, contextServices) = GatewayDaemon.makeContext(config, logger: logger)
        let sink = CaptureSink(listeningWith: sealer, context: tracker, logger: logger) { event in
            let line =
                json ? ((try? event.jsonBytes()).map { String(decoding: $0, as: UTF8.self) } ?? "{}") : describe(event)
            count.withLockedValue { n in
                n += 1
                // Straight to fd 1, unbuffered: each scan shows the moment it is decoded.
                var bytes = Array((line + "\n").utf8)
                _ = write(1, &bytes, bytes.count)
            }
        }
        let pool = ReaderPool(readers: config.readers, sink: sink, logger: logger)
        FileHandle.standardError.write(
            Data(
                "listening for \(Int(seconds)) s on \(config.readers.map(\.id).joined(separator: ", ")); nothing is spooled or sent\n"
                    .utf8
            )
        )
        let timer = ListenTimer(seconds: seconds)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: pool)] + contextServices.map { .init(service: $0) }
                    + [.init(service: timer, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        let n = count.withLockedValue { $0 }
        FileHandle.standardError.write(Data("listen: \(n) scan\(n == 1 ? "" : "s") seen\n".utf8))
        return n
    }

    /// One line per scan: time, reader, class, schema, subject, misread, the text as redacted.
    public static func describe(_ e: CaptureEvent) -> String {
        var parts = [String(e.capturedAt.dropFirst(11)), "reader=\(e.reader)", "class=\(e.tag.kind.rawValue)"]
        if let s = e.tag.schema { parts.append("schema=\(s)") }
        if let s = e.tag.subject { parts.append("subject=\(s)") }
        if let f = e.decoded?.format { parts.append("format=\(f.rawValue)") }
        if let m = e.misread { parts.append("misread=\"\(m)\"") }
        if let o = e.operatorID { parts.append("operator=\(o)") }
        if let l = e.location { parts.append("fix=\(l.fix.rawValue)") }
        if let r = e.redactions { parts.append("redactions=\(r.joined(separator: ","))") }
        if let t = e.text {
            let shown = t.unicodeScalars.map {
                $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0)
            }.joined()
            parts.append("text=\"\(shown)\"")
        }
        return parts.joined(separator: " ")
    }
}

/// Ends `--listen` after its time.
struct ListenTimer: Service {
    let seconds: Double

    func run() async {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int(seconds * 1000))) }
    }
}
