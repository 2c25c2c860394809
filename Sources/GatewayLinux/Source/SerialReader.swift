import CLinuxShims
import GatewayCore
import Glibc
import Logging

/// Reads scans from a serial tty (USB CDC-ACM, FTDI, CH340, PL2303, or a pty) in raw mode:
/// lines (CR, LF, CRLF) or binary frames (EM4100 modules, configurable STX/ETX).
///
/// One session is one open device; it ends when the device goes away (EIO, ENODEV, hang-up)
/// — a disconnect, not a failure — and `ReaderSupervisor` starts a new one when it returns.
final class SerialReader: DeviceSession {
    let config: GatewayConfig.Reader
    let baud: Int
    let framing: GatewayConfig.SerialFraming
    private let committer: ScanCommitter
    private let stop: StopSignal
    private var noise = 0, badChecksums = 0, overlong = 0

    init(
        config: GatewayConfig.Reader,
        baud: Int,
        framing: GatewayConfig.SerialFraming,
        committer: ScanCommitter,
        stop: StopSignal
    ) {
        self.config = config
        self.baud = baud
        self.framing = framing
        self.committer = committer
        self.stop = stop
    }

    func run(devnode: String) -> SessionEnd {
        let fd = open(devnode, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .failed("\(ReaderError.open(path: devnode, errno: errno))") }
        defer { close(fd) }
        let rc = gw_tty_make_raw(fd, Int32(baud))
        guard rc == 0 else {
            return .failed(
                rc == -2
                    ? "\(devnode): baud \(baud) not supported"
                    : "\(devnode): not a tty or cannot set raw mode (\(String(cString: strerror(errno))))"
            )
        }
        committer.logger.info(
            "reader connected",
            metadata: ["reader": "\(config.id)", "kind": "serial", "device": "\(devnode)", "baud": "\(baud)"]
        )
        var lines = LineFramer(maxLength: config.maxLine)
        var frames: BinaryFramer? = {
            switch framing {
            case .lines: return nil
            case .em4100: return BinaryFramer(format: .em4100)
            case .stxEtx(let o): return BinaryFramer(format: .stxEtx(o))
            }
        }()
        return readChunks(fd, stop: stop, committer: committer) { chunk in
            var scans: [Scan] = []
            if frames != nil {
                for o in frames!.feed(chunk) {
                    switch o {
                    case .scan(let b): scans.append(committer.scan(b))
                    case .badChecksum:
                        badChecksums += 1
                        committer.reject(
                            "frame with a bad checksum discarded (misread)",
                            reason: "checksum",
                            total: badChecksums
                        )
                    case .overlong(let len):
                        overlong += 1
                        committer.reject(
                            "frame longer than max_frame discarded",
                            reason: "overlong",
                            length: len,
                            total: overlong
                        )
                    case .noise(let count):
                        noise += count
                        committer.logger.debug(
                            "bytes outside any frame skipped",
                            metadata: ["reader": "\(config.id)", "bytes": "\(count)", "total": "\(noise)"]
                        )
                    }
                }
            } else {
                scans = committer.scans(from: lines.feed(chunk), maxLine: config.maxLine)
            }
            return committer.commit(scans)
        }
    }
}
