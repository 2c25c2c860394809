import Foundation
import GatewayCore
import Glibc

/// `gatewayd --probe`: what a technician needs to know about a terminal, one line per check,
/// each ok / warn / fail with a reason that says what to do. Read-only: it opens the spool for
/// reading, sends the server an empty batch (an authenticated no-op), and changes nothing.
/// Exit status 0 only when nothing needed to deliver scans failed.
public enum Probe {
    public struct Check: Codable, Sendable, Equatable {
        public enum Status: String, Codable, Sendable { case ok, warn, fail }
        public var name: String
        public var status: Status
        public var detail: String
    }

    public static func run(configPath: String) async -> [Check] {
        var checks: [Check] = []
        func add(_ name: String, _ status: Check.Status, _ detail: String) { checks.append(Check(name: name, status: status, detail: detail)) }

        let config: GatewayConfig
        do {
            config = try GatewayDaemon.loadConfig(path: configPath)
            add("config", .ok, "\(configPath): \(config.readers.count) readers, \(config.schemas.count) schemas, \(config.redact.rules.count) redaction rules")
        } catch {
            add("config", .fail, "\(error)")
            return checks
        }

        do {
            let k = try KeyFile.loadPrivate(config.device.privateKeyPath, role: "device")
            add("device key", .ok, "\(config.device.privateKeyPath) (0600), key id \(X25519KeyPEM.keyID(of: k.publicKey)); registered at the server as \(config.device.id)")
        } catch {
            add("device key", .fail, "\(error)")
        }
        do {
            let k = try KeyFile.loadPublic(config.server.publicKeyPath, role: "server")
            var detail = "\(config.server.publicKeyPath), key id \(config.server.keyID ?? X25519KeyPEM.keyID(of: k))"
            if let n = config.server.next {
                let nk = try KeyFile.loadPublic(n.publicKeyPath, role: "server")
                detail += "; next \(n.keyID ?? X25519KeyPEM.keyID(of: nk)) from \(RFC3339.format(unixNanos: n.fromNanos))"
            }
            add("server key", .ok, detail)
        } catch {
            add("server key", .fail, "\(error)")
        }
        if Redactor.needsSiteKey(config.redact.rules) {
            do {
                _ = try KeyFile.loadSiteKey(config.redact.siteKeyPath)
                add("site key", .ok, "\(config.redact.siteKeyPath) (0600)")
            } catch {
                add("site key", .fail, "\(error)")
            }
        }

        let spoolDir = (config.spool.path as NSString).deletingLastPathComponent
        var fs = statvfs()
        let freeMB = statvfs(spoolDir.isEmpty ? "." : spoolDir, &fs) == 0 ? (Int(fs.f_bavail) * Int(fs.f_frsize)) >> 20 : -1
        if FileManager.default.fileExists(atPath: config.spool.path) {
            do {
                let spool = try Spool(path: config.spool.path, limits: config.spool.limits)
                let s = try spool.status()
                let age = s.oldestSpooledAtNanos.map { max(0, Clocks.wallNanos() - $0) / 1_000_000_000 }
                let detail = "\(s.depth) waiting (\(s.bytes >> 10) KiB), oldest \(age.map { "\($0) s" } ?? "-"), \(s.deadLetters) dead letters, \(s.droppedTotal) dropped, \(freeMB) MiB free"
                let warn = s.deadLetters > 0 || s.droppedTotal > 0 || (freeMB >= 0 && freeMB < 64) || s.depth >= config.spool.limits.maxEnvelopes
                add("spool", warn ? .warn : .ok, detail + (s.deadLetters > 0 ? " — see `gatewayd spool list --dead`" : ""))
            } catch {
                add("spool", .fail, "\(error)")
            }
        } else {
            let writable = access(spoolDir.isEmpty ? "." : spoolDir, W_OK) == 0
            add("spool", writable ? .ok : .fail, writable ? "\(config.spool.path) will be created (\(freeMB) MiB free)" : "\(spoolDir) is not writable by this user")
        }

        if let bytes = RuntimeDirectory.read("forwarder.json"), let f = try? JSONDecoder().decode(ForwarderStatus.self, from: Data(bytes)) {
            let detail = "circuit \(f.circuit), \(f.consecutiveFailures) consecutive failures, last success \(f.lastSuccessAt ?? "never")" + (f.circuit == "open" ? ", last error: \(f.lastError ?? "-")" : "")
            add("forwarder", f.circuit == "open" ? .warn : .ok, detail)
        } else {
            add("forwarder", .warn, "no status in \(RuntimeDirectory.path): the daemon is not running (or runs with another RUNTIME_DIRECTORY)")
        }

        do {
            let deliverer = try HTTPDeliverer(
                serverURL: config.server.url, caPath: config.server.caPath,
                clientCertPath: config.server.clientCertPath, clientKeyPath: config.server.clientKeyPath, pins: config.server.pins,
                connectTimeout: config.forward.connectTimeout, readTimeout: config.forward.readTimeout, requestTimeout: config.forward.requestTimeout)
            let outcome = await deliverer.deliver([])
            await deliverer.shutdown()
            switch outcome {
            case .results:
                add("server", .ok, "\(config.server.url): TLS verified\(config.server.pins.isEmpty ? "" : " and pinned"), an empty batch accepted")
            case .httpStatus(let code, _, let detail):
                add("server", .fail, "\(config.server.url) answered HTTP \(code)\(detail.map { ": \($0)" } ?? "")")
            case .transportFailure(let reason):
                add("server", .fail, "\(config.server.url): \(reason)")
            }
        } catch {
            add("server", .fail, "\(error)")
        }
        return checks
    }

    public static func table(_ checks: [Check]) -> String {
        let width = (checks.map(\.name.count).max() ?? 5) + 2
        return checks.map { c in
            c.name.padding(toLength: width, withPad: " ", startingAt: 0) + c.status.rawValue.uppercased().padding(toLength: 6, withPad: " ", startingAt: 0) + c.detail
        }.joined(separator: "\n")
    }
}
