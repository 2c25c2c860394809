import GatewayCore
import Glibc

/// One open device behind a reader: `run` blocks on the reader's thread until the device goes
/// away, fails, or the reader is stopped. A session is made on the thread that runs it and never
/// leaves it (hence not `Sendable`: its buffers, framers and counters are that thread's alone).
protocol DeviceSession: AnyObject {
    var config: GatewayConfig.Reader { get }
    func run(devnode: String) -> SessionEnd
}

/// The read loop serial and hidraw sessions share: wait in poll(2), read what is there (one
/// report, for hidraw), hand it to `handle`. A read error or end-of-file is the device going
/// away; `handle` returning false means the reader was stopped while committing. The wait ends
/// when the committer has something due (`ScanCommitter.tick`).
func readChunks(
    _ fd: Int32,
    stop: StopSignal,
    committer: ScanCommitter,
    handle: (ArraySlice<UInt8>) -> Bool
) -> SessionEnd {
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        switch waitReadable(fd, stop: stop, timeoutMs: committer.pollTimeoutMs) {
        case .stopped: return .stopped
        case .timeout:
            guard committer.tick() else { return .stopped }
            continue
        case .hangup, .readable: break
        }
        let n = read(fd, &buf, buf.count)
        if n == 0 { return .gone("end of file") }
        if n < 0 {
            if errno == EAGAIN || errno == EINTR { continue }
            return .gone(String(cString: strerror(errno)))
        }
        guard handle(buf[0..<n]) else { return .stopped }
    }
}

enum SessionEnd: Equatable {
    /// Stopped on request (shutdown, device removed).
    case stopped
    /// The device disappeared or hung up: wait for it to come back.
    case gone(String)
    /// The input ended for good (a replayed recording): never start it again.
    case finished
    /// Could not be used (permissions, wrong kind of device): say so, retry only on change.
    case failed(String)
}
