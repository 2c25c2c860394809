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

    func record(_ tpv: GPSDMessage.TPV, receivedMonotonicNanos: UInt64, wallNanos: Int64) {
        state.withLock { s in
            s.last = FixPolicy.Received(
                tpv: tpv,
                satellitesUsed: s.satellites,
                receivedMonotonicNanos: receivedMonotonicNanos
            )
            if tpv.mode >= 2, let t = tpv.time, let gps = RFC3339.parseUnixNanos(t) { s.skewNanos = wallNanos - gps }
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

/// Reads gpsd's JSON watch stream over its TCP socket (gpsd_json(5)): one thread, blocking on
/// poll with the stop signal, reconnecting with backoff (1 s doubling to 10 s) when gpsd is
/// not there yet, restarts, or goes quiet for 10 s. Each line goes through the pure
/// `GPSDMessage` parser into `GPSState`.
final class GPSDClient: Sendable {
    let host: String
    let port: UInt16
    let state: GPSState
    let stop: StopSignal
    let logger: Logger

    init(host: String, port: UInt16, state: GPSState, stop: StopSignal, logger: Logger) {
        self.host = host
        self.port = port
        self.state = state
        self.stop = stop
        self.logger = logger
    }

    func run() {
        var delayMs: Int32 = 1000
        var reported = false
        while true {
            let fd = connectTCP()
            if fd < 0 {
                if !reported {
                    logger.warning(
                        "gpsd not reachable; events carry no fix until it is",
                        metadata: ["gpsd": "\(host):\(port)", "errno": "\(errno)"]
                    )
                    reported = true
                }
                if !pause(ms: delayMs, stop: stop) { return }
                delayMs = min(delayMs * 2, 10_000)
                continue
            }
            delayMs = 1000
            reported = false
            let watch = Array(#"?WATCH={"enable":true,"json":true};"#.utf8) + [0x0A]
            _ = watch.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            state.setConnected(true)
            logger.info("gpsd connected", metadata: ["gpsd": "\(host):\(port)"])
            let why = readLines(fd)
            close(fd)
            state.setConnected(false)
            GatewayMetrics.gpsFix(mode: 0)
            if why == "stopped" { return }
            logger.warning(
                "gpsd connection lost; reconnecting",
                metadata: ["gpsd": "\(host):\(port)", "reason": "\(why)"]
            )
            if !pause(ms: 500, stop: stop) { return }
        }
    }

    private func connectTCP() -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &addr.sin_addr) == 1 else {
            close(fd)
            return -1
        }
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if r != 0 {
            let e = errno
            close(fd)
            errno = e
            return -1
        }
        return fd
    }

    /// Reads until EOF, an error, 10 s of silence (gpsd sends at least once a second while
    /// watching) or the stop signal; returns why.
    private func readLines(_ fd: Int32) -> String {
        var buf = [UInt8](repeating: 0, count: 8192)
        var line: [UInt8] = []
        while true {
            switch waitReadable(fd, stop: stop, timeoutMs: 10_000) {
            case .stopped: return "stopped"
            case .timeout: return "silent for 10 s"
            case .hangup, .readable: break
            }
            let n = read(fd, &buf, buf.count)
            if n == 0 { return "gpsd closed the connection" }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return "read error \(errno)"
            }
            for b in buf[0..<n] {
                if b == 0x0A {
                    handle(line)
                    line.removeAll(keepingCapacity: true)
                } else if line.count < 65536 {
                    line.append(b)
                }
            }
        }
    }

    private func handle(_ line: [UInt8]) {
        switch GPSDMessage.parse(line) {
        case .tpv(let t):
            state.record(t, receivedMonotonicNanos: Clocks.monotonicNanos(), wallNanos: Clocks.wallNanos())
            GatewayMetrics.gpsFix(mode: max(1, t.mode))
        case .sky(let used): state.record(satellitesUsed: used)
        case .devices(let d):
            state.record(devices: d)
            logger.info("gpsd devices", metadata: ["devices": "\(d)"])
        case .version(let release): state.record(release: release)
        case .other: break
        }
    }
}
