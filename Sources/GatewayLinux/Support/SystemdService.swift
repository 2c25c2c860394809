import Foundation
import GatewayCore
import Logging
import ServiceLifecycle

/// Tells systemd (Type=notify) when gatewayd is ready, what it is doing (STATUS: spool depth,
/// dead letters, forwarder circuit), and that it is alive (WATCHDOG=1 at half of WatchdogSec).
/// The watchdog pings come from this task, which reads the spool each time: a process whose
/// event loop or database is stuck stops pinging and systemd restarts it.
public struct SystemdService: Service {
    let notifier: SystemdNotifier
    let spool: Spool
    /// The forwarder's state, from memory.
    let forwarder: ForwarderStatusBoard
    let logger: Logger

    public init(notifier: SystemdNotifier, spool: Spool, forwarder: ForwarderStatusBoard, logger: Logger) {
        self.notifier = notifier
        self.spool = spool
        self.forwarder = forwarder
        self.logger = logger
    }

    public func run() async throws {
        notifier.notify("READY=1\nSTATUS=\(await status())")
        logger.info(
            "told systemd: ready",
            metadata: [
                "watchdog_ms":
                    "\(notifier.watchdogInterval.map { "\($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000)" } ?? "off")"
            ]
        )
        let tick = notifier.watchdogInterval ?? .seconds(10)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: tick) }
            if Task.isShuttingDownGracefully { break }
            let s = await status()
            notifier.notify(notifier.watchdogInterval != nil ? "WATCHDOG=1\nSTATUS=\(s)" : "STATUS=\(s)")
        }
        notifier.notify("STOPPING=1")
    }

    func status() async -> String {
        guard let s = try? await spool.readStatus() else { return "spool unreadable" }
        return "\(s.depth) waiting, \(s.deadLetters) dead letters, forwarder \(forwarder.circuit)"
    }
}
