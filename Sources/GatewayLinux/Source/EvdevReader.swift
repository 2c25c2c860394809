import CLinuxShims
import GatewayCore
import Glibc
import Logging

/// Reads a keyboard-wedge scanner or 125 kHz badge reader from /dev/input/event*.
///
/// The device is grabbed (EVIOCGRAB) so its keys never reach the console or a kiosk app, and
/// its timestamps are switched to CLOCK_MONOTONIC (EVIOCSCLOCKID) so the key decoder's gap and
/// stall timing uses the same clock as `poll`'s deadline. A regular file of recorded
/// `struct input_event` records is read the same way (no ioctls), for replay tests.
final class EvdevReader: DeviceSession {
    let config: GatewayConfig.Reader
    private let layout: KeyboardLayout
    private let options: KeyDecoder.Options
    private let grab: Bool
    private let committer: ScanCommitter
    private let stop: StopSignal
    private var reported = KeyDecoder.Counters()

    init(
        config: GatewayConfig.Reader,
        layout: KeyboardLayout,
        options: KeyDecoder.Options,
        grab: Bool,
        committer: ScanCommitter,
        stop: StopSignal
    ) {
        self.config = config
        self.layout = layout
        self.options = options
        self.grab = grab
        self.committer = committer
        self.stop = stop
    }

    func run(devnode: String) -> SessionEnd {
        let fd = open(devnode, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .failed("\(ReaderError.open(path: devnode, errno: errno))") }
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        let replay = (st.st_mode & S_IFMT) == S_IFREG
        var meta: Logger.Metadata = [
            "reader": "\(config.id)", "kind": "evdev", "device": "\(devnode)", "layout": "\(layout.name)",
        ]
        if !replay {
            var name = [CChar](repeating: 0, count: 256)
            _ = gw_evdev_name(fd, &name, 255)
            var bus: UInt16 = 0
            var vendor: UInt16 = 0
            var product: UInt16 = 0
            var version: UInt16 = 0
            if gw_evdev_id(fd, &bus, &vendor, &product, &version) == 0 {
                meta["usb"] = "\(hex4(vendor)):\(hex4(product))"
            }
            meta["name"] = "\(cString(name))"
            var phys = [CChar](repeating: 0, count: 256)
            if gw_evdev_phys(fd, &phys, 255) >= 0 { meta["phys"] = "\(cString(phys))" }
            guard gw_evdev_is_keyboard(fd) == 1 else {
                return .failed("\(devnode) does not report letter and Enter keys: not a keyboard-wedge scanner")
            }
            _ = gw_evdev_monotonic(fd)
            if grab && gw_evdev_grab(fd, 1) != 0 {
                return .failed(
                    "\(devnode): cannot grab (\(String(cString: strerror(errno)))); another program holds it exclusively"
                )
            }
            meta["grabbed"] = "\(grab)"
        } else {
            meta["replay"] = "true"
        }
        defer { if grab && !replay { _ = gw_evdev_grab(fd, 0) } }
        committer.logger.info("reader connected", metadata: meta)

        var decoder = KeyDecoder(layout: layout, options: options)
        let recordSize = InputEvent.wireSize
        var buf = [UInt8](repeating: 0, count: recordSize * 64)
        var carry: [UInt8] = []
        while true {
            var timeout: Int32 = -1
            if let deadline = decoder.deadlineMicros, !replay {
                let now = gw_monotonic_micros()
                timeout = deadline > now ? Int32(min((deadline - now + 999) / 1000, 60_000)) : 0
            }
            // Or when the committer has something due (pending noise, a flood's end).
            let due = committer.pollTimeoutMs
            if due >= 0 && (timeout < 0 || due < timeout) { timeout = due }
            switch waitReadable(fd, stop: stop, timeoutMs: timeout) {
            case .stopped: return .stopped
            case .timeout:
                guard deliver(decoder.flush(now: gw_monotonic_micros()), &decoder) else { return .stopped }
                continue
            case .hangup, .readable: break
            }
            let n = read(fd, &buf, buf.count)
            if n == 0 {
                // End of a replayed recording: what is still open ends as time would end it.
                _ = deliver(decoder.flush(now: UInt64.max / 2), &decoder)
                return replay ? .finished : .gone("end of file")
            }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                return .gone(String(cString: strerror(errno)))
            }
            carry += buf[0..<n]
            var outputs: [KeyDecoder.Output] = []
            var i = 0
            while i + recordSize <= carry.count {
                if let e = InputEvent.parse(carry[i..<i + recordSize]) { outputs += decoder.feed(e) }
                i += recordSize
            }
            carry.removeFirst(i)
            guard deliver(outputs, &decoder) else { return .stopped }
        }
    }

    /// Commits the scans; reports rejected ones and new counter values without content.
    private func deliver(_ outputs: [KeyDecoder.Output], _ decoder: inout KeyDecoder) -> Bool {
        var scans: [Scan] = []
        for o in outputs {
            switch o {
            case .scan(let b): scans.append(committer.scan(b))
            case .overlong(let len):
                committer.reject(
                    "scan longer than max_line discarded",
                    reason: "overlong",
                    length: len,
                    total: decoder.counters.overlong
                )
            case .incomplete(let len):
                committer.reject(
                    "scan without its terminator discarded after stall_ms",
                    reason: "incomplete",
                    length: len,
                    total: decoder.counters.incomplete
                )
            }
        }
        let c = decoder.counters
        if c.unknownKeys != reported.unknownKeys || c.repeats / 100 != reported.repeats / 100 {
            committer.logger.notice(
                "ignored keys",
                metadata: ["reader": "\(config.id)", "unknown_keys": "\(c.unknownKeys)", "autorepeats": "\(c.repeats)"]
            )
            reported = c
        }
        return committer.commit(scans)
    }

    private func cString(_ buf: [CChar]) -> String {
        String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

}
