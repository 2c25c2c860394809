import CLinuxShims
import GatewayCore
import Glibc
import Logging

/// Reads a HID POS scanner (usage page 0x8C) from /dev/hidraw*: the report descriptor says
/// where the symbology identifier and the data are; each read(2) returns one input report.
final class HidrawReader: DeviceSession {
    let config: GatewayConfig.Reader
    private let committer: ScanCommitter
    private let stop: StopSignal
    private var overlong = 0

    init(config: GatewayConfig.Reader, committer: ScanCommitter, stop: StopSignal) {
        self.config = config
        self.committer = committer
        self.stop = stop
    }

    func run(devnode: String) -> SessionEnd {
        let fd = open(devnode, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .failed("\(ReaderError.open(path: devnode, errno: errno))") }
        defer { close(fd) }
        var raw = [UInt8](repeating: 0, count: 4096)
        let size = gw_hidraw_descriptor(fd, &raw, Int32(raw.count))
        guard size > 0 else {
            return .failed("\(devnode): cannot read the HID report descriptor (\(String(cString: strerror(errno))))")
        }
        var decoder: HIDPOSDecoder
        do {
            decoder = try HIDPOSDecoder(
                descriptor: try HIDReportDescriptor(bytes: Array(raw[0..<Int(size)])),
                maxLength: config.maxLine
            )
        } catch {
            return .failed("\(devnode): \(error); use kind = \"evdev\" for keyboard-wedge scanners")
        }
        committer.logger.info(
            "reader connected",
            metadata: [
                "reader": "\(config.id)", "kind": "hidraw", "device": "\(devnode)",
                "report_id": "\(decoder.layout.reportID)",
            ]
        )
        return readChunks(fd, stop: stop, committer: committer) { report in
            var scans: [Scan] = []
            for o in decoder.feed(report: Array(report)) {
                switch o {
                case .scan(let bytes, let symbology): scans.append(committer.scan(bytes, symbology: symbology))
                case .overlong(let len):
                    overlong += 1
                    committer.reject(
                        "scan longer than max_line discarded",
                        reason: "overlong",
                        length: len,
                        total: overlong
                    )
                }
            }
            return committer.commit(scans)
        }
    }
}
