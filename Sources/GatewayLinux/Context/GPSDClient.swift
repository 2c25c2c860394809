import Foundation
import GatewayCore
import GatewaySystem
import Glibc
import Logging
import Synchronization

/// The latest word from gpsd, shared between the gpsd client thread and the capture path.
public final class GPSState: Sendable {
    private struct State {
        var last: FixPolicy.Received?
        var satellites: Int?
        var skewNanos: Int64?
        var release: String?
        var devices: [String] = []
        var connected = false
    }

    private let state = Mutex(State())

    public init() {}

    func record(_ fix: GPSFix, receivedMonotonicNanos: UInt64, wallNanos: Int64) {
        state.withLock { s in
            s.last = FixPolicy.Received(
                fix: fix,
                satellitesUsed: s.satellites,
                receivedMonotonicNanos: receivedMonotonicNanos
            )
            if fix.mode >= 2, let gps = fix.timeUnixNanos { s.skewNanos = wallNanos - gps }
        }
    }

    func record(satellitesUsed: Int) {
        state.withLock { s in
            s.satellites = satellitesUsed
            s.last?.satellitesUsed = satellitesUsed
        }
    }

    func setConnected(_ c: Bool) { state.withLock { $0.connected = c } }
    func record(release r: String) { state.withLock { $0.release = r } }
    func record(devices d: [String]) { state.withLock { $0.devices = d } }

    /// Whether the client holds a connection to gpsd now.
    public var connected: Bool { state.withLock { $0.connected } }

    /// gpsd's release and the devices it reads, as it last announced them.
    public func daemon() -> (release: String?, devices: [String]) { state.withLock { ($0.release, $0.devices) } }

    /// The last fix as received, and the system clock's offset from GPS time (wall − GPS).
    public func snapshot() -> (FixPolicy.Received?, Int64?) { state.withLock { ($0.last, $0.skewNanos) } }
}

/// Follows gpsd through libgps (`LibGPS`) on a thread of its own: on the socket it waits in
/// `gps_waiting` (2 s, so a stop is noticed within that) and reads with `gps_read`; on shared
/// memory it looks for a new snapshot five times a second. It reconnects with backoff (1 s
/// doubling to 10 s) when gpsd is not there yet, restarts, or goes quiet for 10 s. Each report
/// goes into `GPSState`; the pure `FixPolicy` decides at capture what an event gets.
final class GPSDClient: Sendable {
    let source: LibGPS.Source
    let state: GPSState
    let stop: StopSignal
    let logger: Logger

    init(source: LibGPS.Source, state: GPSState, stop: StopSignal, logger: Logger) {
        self.source = source
        self.state = state
        self.stop = stop
        self.logger = logger
    }

    /// How long gpsd may stay silent before the session is taken for lost (it reports at least
    /// once a second while a receiver is attached).
    static let silenceNanos: UInt64 = 10_000_000_000

    func run() {
        do {
            try LibGPS.load()
        } catch {
            logger.error("gpsd client cannot start; events carry no fix", metadata: ["error": "\(error)"])
            return
        }
        let session = LibGPS(source: source)
        var delayMs: Int32 = 1000
        var reported = false
        // gpsd is not there (yet): said once, then wait 1 s doubling to 10 s. False if stopped.
        func awaitGPSD(_ why: String) -> Bool {
            if !reported {
                logger.warning(
                    "gpsd not reachable; events carry no fix until it is",
                    metadata: ["gpsd": "\(source)", "reason": "\(why)"]
                )
                reported = true
            }
            guard pause(ms: delayMs, stop: stop) else { return false }
            delayMs = min(delayMs * 2, 10_000)
            return true
        }
        while !stop.isSignalled {
            if let why = session.open() {
                if !awaitGPSD("\(why)") { return }
                continue
            }
            // On the socket gpsd answered; shared memory outlives gpsd, so there the first new
            // snapshot is the sign of life.
            if source != .sharedMemory { connected() }
            let why = follow(session)
            session.close()
            let wasConnected = state.connected
            state.setConnected(false)
            GatewayMetrics.gpsFix(mode: 0)
            guard let why else { return }
            if !wasConnected {
                // Shared memory that never changed: gpsd is not running. Said once, as above.
                if !awaitGPSD("\(why)") { return }
                continue
            }
            delayMs = 1000
            reported = false
            logger.warning("gpsd connection lost; reconnecting", metadata: ["gpsd": "\(source)", "reason": "\(why)"])
            if !pause(ms: 500, stop: stop) { return }
        }
    }

    private func connected() {
        state.setConnected(true)
        logger.info("gpsd connected", metadata: ["gpsd": "\(source)"])
    }

    /// Reads reports until gpsd goes away or stays silent (returns why) or the stop signal (nil).
    private func follow(_ session: LibGPS) -> String? {
        var lastReport = Clocks.monotonicNanos()
        while !stop.isSignalled {
            let ready: Bool
            if source == .sharedMemory {
                ready = session.waiting(microseconds: 0)
                if !ready && !pause(ms: 200, stop: stop) { return nil }
            } else {
                ready = session.waiting(microseconds: 2_000_000)
            }
            if Clocks.monotonicNanos() - lastReport >= Self.silenceNanos { return "silent for 10 s" }
            if !ready { continue }
            switch session.read() {
            case .lost(let why): return why
            case .nothing:
                // Part of a line (the rest follows within milliseconds), or a torn shared-memory
                // copy. libgps calls a buffered partial line "waiting" even once gpsd has closed
                // the connection: the pause keeps that from spinning until the silence check.
                if !pause(ms: 20, stop: stop) { return nil }
            case .report(let r):
                lastReport = Clocks.monotonicNanos()
                if source == .sharedMemory && !state.connected { connected() }
                handle(r)
            }
        }
        return nil
    }

    private func handle(_ r: GPSDReport) {
        if let release = r.release { state.record(release: release) }
        if let devices = r.devices {
            state.record(devices: devices)
            logger.info("gpsd devices", metadata: ["devices": "\(devices)"])
        }
        if let used = r.satellitesUsed { state.record(satellitesUsed: used) }
        if let fix = r.fix {
            state.record(fix, receivedMonotonicNanos: Clocks.monotonicNanos(), wallNanos: Clocks.wallNanos())
            GatewayMetrics.gpsFix(mode: max(1, fix.mode))
        }
    }
}
