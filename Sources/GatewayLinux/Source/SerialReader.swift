import CLinuxShims
import GatewayCore
import Glibc
import Logging

/// Reads one scan per line from a serial tty (USB CDC-ACM, FTDI, CH340, PL2303 or a pty) in
/// raw mode at the configured baud rate.
///
/// A read error (EIO, ENODEV) or end-of-file is the device going away, not a failure of the
/// daemon: the reader closes it, says so once, and opens it again when it is back.
final class SerialReader: @unchecked Sendable {
    let id: String
    let path: String
    let baud: Int
    let maxLine: Int
    private let committer: ScanCommitter
    private let stop: StopSignal
    private let logger: Logger
    /// How often to look for a missing device. Issue #3's udev monitor replaces this wait.
    private let reopenIntervalMs: Int32 = 1000

    init(id: String, path: String, baud: Int, maxLine: Int, sink: CaptureSink, stop: StopSignal, logger: Logger) {
        self.id = id
        self.path = path
        self.baud = baud
        self.maxLine = maxLine
        self.stop = stop
        self.logger = logger
        self.committer = ScanCommitter(readerID: id, sink: sink, stop: stop, logger: logger)
    }

    func run() {
        var lastError: String?
        while !stop.isSignalled {
            let fd: Int32
            do {
                fd = try openTTY()
            } catch {
                let message = "\(error)"
                if message != lastError {
                    logger.warning("reader not available; will open it when it appears", metadata: ["reader": "\(id)", "error": "\(message)"])
                    lastError = message
                }
                if !pause(ms: reopenIntervalMs, stop: stop) { break }
                continue
            }
            lastError = nil
            logger.info("reader connected", metadata: ["reader": "\(id)", "kind": "serial", "baud": "\(baud)"])
            let why = readUntilGone(fd)
            close(fd)
            if why == nil { break }
            logger.warning("reader disconnected", metadata: ["reader": "\(id)", "reason": "\(why!)"])
        }
        logger.info("reader stopped", metadata: ["reader": "\(id)", "scans": "\(committer.scansCommitted)"])
    }

    private func openTTY() throws(ReaderError) -> Int32 {
        let fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .open(path: path, errno: errno) }
        let rc = gw_tty_make_raw(fd, Int32(baud))
        if rc != 0 {
            let e = errno
            close(fd)
            throw .configure(path: path, detail: rc == -2 ? "baud \(baud) not supported" : "not a tty or cannot set raw mode (\(String(cString: strerror(e))))")
        }
        return fd
    }

    /// - Returns: nil when stopped, otherwise why the device went away.
    private func readUntilGone(_ fd: Int32) -> String? {
        var framer = LineFramer(maxLength: maxLine)
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            switch waitReadable(fd, stop: stop) {
            case .stopped: return nil
            case .timeout: continue
            case .hangup, .readable: break
            }
            let n = read(fd, &buf, buf.count)
            if n == 0 { return "end of file" }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            let outputs = framer.feed(buf[0..<n])
            guard committer.commit(committer.scans(from: outputs, maxLine: maxLine)) else { return nil }
        }
    }
}
