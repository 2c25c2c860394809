import GatewayCore
import GatewaySystem
import Logging
import ServiceLifecycle

/// Every `interval` (and once at start), spools a sealed heartbeat — spool depth and oldest
/// age, dead letters, readers, fix, version, uptime — through the same spool and forwarder as
/// scans, so the case server can flag a terminal whose heartbeats stop as overdue.
public struct HeartbeatService: Service {
    let sink: CaptureSink
    let spool: Spool
    let device: String
    /// Each configured reader and whether its device is open now.
    let readers: @Sendable () -> [String]
    let interval: Duration
    let logger: Logger

    public init(
        sink: CaptureSink,
        spool: Spool,
        device: String,
        readers: @escaping @Sendable () -> [String],
        interval: Duration,
        logger: Logger
    ) {
        self.sink = sink
        self.spool = spool
        self.device = device
        self.readers = readers
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let started = ContinuousClock.now
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // A heartbeat is a spool commit (sealing, a write and an fsync): a thread of its own,
            // not one of the cooperative pool's.
            let uptime = ContinuousClock.now - started
            await OwnThread.run(name: "heartbeat") { beat(uptime: uptime) }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    func beat(uptime: Duration) {
        do {
            let s = try spool.status()
            let now = Clocks.wallNanos()
            let location = sink.currentLocation()
            let status = Heartbeat(
                spoolDepth: s.depth,
                oldestAgeS: s.oldestSpooledAtNanos.map { Int(max(0, now - $0) / 1_000_000_000) },
                deadLetters: s.deadLetters,
                readers: readers(),
                fix: location?.fix.rawValue,
                version: GatewayVersion.string,
                uptimeS: Int(uptime.components.seconds),
                intervalS: Int(interval.components.seconds)
            )
            let seq = try sink.commitHeartbeat { id, seq in
                CaptureEvent.heartbeat(
                    id: id,
                    device: device,
                    seq: seq,
                    wallNanos: now,
                    monotonicNanos: Clocks.monotonicNanos(),
                    status: status,
                    location: location
                )
            }
            logger.debug("heartbeat spooled", metadata: ["seq": "\(seq ?? 0)", "spool_depth": "\(s.depth)"])
        } catch {
            logger.error("cannot spool a heartbeat", metadata: ["error": "\(error)"])
        }
    }
}
