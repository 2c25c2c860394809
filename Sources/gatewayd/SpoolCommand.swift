import ArgumentParser
import Foundation
import GatewayCore
import GatewayLinux
import GatewaySystem

/// `gatewayd spool status|list|retry-dead|purge-dead`: the retry queue for technicians. Safe
/// while the daemon runs (SQLite WAL: one writer at a time, readers never blocked). Prints
/// metadata only — sequence numbers, ids, sizes, key ids, reasons — never content.
struct SpoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool",
        abstract: "Inspect the spool and manage dead letters.",
        subcommands: [Status.self, List.self, RetryDead.self, PurgeDead.self]
    )

    struct Options: ParsableArguments {
        @Option(
            name: .long,
            help: ArgumentHelp(
                "Configuration file (for the spool's path and limits).",
                discussion: "Example: gatewayd spool status --config /etc/gatewayd/gatewayd.toml"
            )
        )
        var config: String = GatewayConfig.defaultPath

        func open() throws -> (GatewayConfig, Spool) {
            do {
                let cfg = try GatewayDaemon.loadConfig(path: config)
                guard FileManager.default.fileExists(atPath: cfg.spool.path) else {
                    throw ValidationError("no spool at \(cfg.spool.path): gatewayd has not run with this config yet")
                }
                return (cfg, try Spool(path: cfg.spool.path, limits: cfg.spool.limits))
            } catch let e as ValidationError {
                throw e
            } catch {
                FileHandleStderr.write("gatewayd: \(error)\n")
                throw ExitCode(78)
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Depth, size, oldest envelope, dead letters, drops, schema, and the forwarder's state."
        )
        @OptionGroup var options: Options
        @Flag(name: .long, help: ArgumentHelp("Print JSON.", discussion: "Example: gatewayd spool status --json"))
        var json = false

        func run() throws {
            let (cfg, spool) = try options.open()
            let s = try spool.status()
            let schema = try spool.schemaVersion()
            let forwarder = ForwarderStatusBoard.read()
            let now = Clocks.wallNanos()
            let oldestAge = s.oldestSpooledAtNanos.map { max(0, now - $0) / 1_000_000_000 }
            if json {
                var out: [String: Any] = [
                    "path": spool.path, "depth": s.depth, "bytes": s.bytes, "dead_letters": s.deadLetters,
                    "last_seq": s.lastSeq, "dropped_total": s.droppedTotal, "schema": schema,
                    "max_envelopes": cfg.spool.limits.maxEnvelopes, "max_bytes": cfg.spool.limits.maxBytes,
                    "overflow": cfg.spool.limits.overflow.rawValue,
                ]
                if let oldestAge { out["oldest_age_s"] = oldestAge }
                if let forwarder, let f = try? JSONSerialization.jsonObject(with: JSONEncoder().encode(forwarder)) {
                    out["forwarder"] = f
                }
                let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys, .prettyPrinted])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            let pct = Double(s.bytes) * 100 / Double(max(1, cfg.spool.limits.maxBytes))
            print("spool \(spool.path) (schema \(schema.last ?? "?"))")
            print(
                "  waiting:      \(s.depth) envelopes, \(s.bytes / 1024) KiB (\(String(format: "%.1f", pct))% of max_mb = \(cfg.spool.limits.maxBytes >> 20)), limit \(cfg.spool.limits.maxEnvelopes) envelopes, overflow = \(cfg.spool.limits.overflow.rawValue)"
            )
            print("  oldest:       \(oldestAge.map { "\($0) s ago" } ?? "-")")
            print("  last seq:     \(s.lastSeq)")
            print(
                "  dead letters: \(s.deadLetters)\(s.deadLetters > 0 ? "  (gatewayd spool list --dead; retry-dead once the cause is fixed)" : "")"
            )
            print(
                "  dropped:      \(s.droppedTotal)\(s.droppedTotal > 0 ? "  (overflow = drop_oldest deleted these; the server sees gaps)" : "")"
            )
            if let f = forwarder {
                print("forwarder: circuit \(f.circuit), \(f.consecutiveFailures) consecutive failures")
                print("  last success: \(f.lastSuccessAt ?? "never")   last attempt: \(f.lastAttemptAt ?? "never")")
                if let e = f.lastError, f.circuit != "closed" { print("  last error:   \(e)") }
                if let n = f.nextAttemptAt { print("  next attempt: \(n)") }
                print(
                    "  delivered \(f.deliveredTotal), dead-lettered \(f.deadLetteredTotal), failed attempts \(f.failuresTotal) (since the daemon started)"
                )
            } else {
                print("forwarder: no status in \(RuntimeDirectory.path) (gatewayd not running?)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Waiting envelopes (or --dead letters with their reasons), oldest first."
        )
        @OptionGroup var options: Options
        @Flag(
            name: .long,
            help: ArgumentHelp("List dead letters instead.", discussion: "Example: gatewayd spool list --dead")
        ) var dead = false
        @Option(
            name: .long,
            help: ArgumentHelp("At most this many.", discussion: "Example: gatewayd spool list --limit 10")
        ) var limit = 50

        func run() throws {
            let (_, spool) = try options.open()
            let rows = try spool.list(dead: dead, limit: limit)
            print(dead ? "seq\tid\tbytes\tkey_id\tspooled_at\tfailed_at\treason" : "seq\tid\tbytes\tkey_id\tspooled_at")
            for r in rows {
                var cols = [
                    "\(r.seq)", r.id, "\(r.bytes)", r.keyID ?? "-", RFC3339.format(unixNanos: r.spooledAtNanos),
                ]
                if dead { cols += [r.failedAtNanos.map { RFC3339.format(unixNanos: $0) } ?? "-", r.reason ?? "-"] }
                print(cols.joined(separator: "\t"))
            }
        }
    }

    struct RetryDead: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry-dead",
            abstract: "Put dead letters (all, or the given ids) back in the queue once the server-side cause is fixed."
        )
        @OptionGroup var options: Options
        @Argument(
            help: ArgumentHelp(
                "Envelope ids; none means all.",
                discussion: "Example: gatewayd spool retry-dead 0190f3a2-7c4e-7d51-9a3b-2f1e0c9d8b7a"
            )
        ) var ids: [String] = []

        func run() throws {
            let (_, spool) = try options.open()
            let n = try spool.retryDead(ids: ids)
            print("\(n) dead letters back in the queue; a running gatewayd sends them within seconds")
        }
    }

    struct PurgeDead: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "purge-dead",
            abstract: "Delete dead letters (all, or the given ids) for good."
        )
        @OptionGroup var options: Options
        @Argument(
            help: ArgumentHelp(
                "Envelope ids; none means all (needs --yes).",
                discussion: "Example: gatewayd spool purge-dead --yes"
            )
        ) var ids: [String] = []
        @Flag(
            name: .long,
            help: ArgumentHelp(
                "Confirm deleting every dead letter.",
                discussion: "Example: gatewayd spool purge-dead --yes"
            )
        ) var yes = false

        func run() throws {
            guard !ids.isEmpty || yes else {
                throw ValidationError("purging every dead letter deletes scans for good: add --yes, or name the ids")
            }
            let (_, spool) = try options.open()
            let n = try spool.purgeDead(ids: ids)
            print("\(n) dead letters deleted")
        }
    }
}
