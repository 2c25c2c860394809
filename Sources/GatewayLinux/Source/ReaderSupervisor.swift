import Foundation
import GatewayCore
import GatewaySystem
import Glibc
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import Synchronization

/// Finds the devices behind the serial, evdev and hidraw readers and keeps them read through
/// unplug and replug: it lists the devices at start, then follows udev's add/remove events on
/// netlink (libudev monitor) and runs one session thread per (reader, device) pair.
///
/// A reader selects devices by a fixed `path` (a by-id or /dev/gatewayd symlink is resolved
/// each time, as its target changes on replug) and/or a `[reader.match]` rule (vendor,
/// product, serial, name). Several devices matching one rule each get their own session, so two
/// scanners typing at once never interleave. Device nodes udev does not announce (ptys) are
/// looked for every `rescanMs` as a fallback; a device that failed for a reason other than
/// vanishing (permissions, not a scanner) is logged once per reason and retried when udev
/// announces it again, or — for a fixed path — after `failedRetryMs`.
///
/// The loop and its state are its thread's alone (made there, hence not `Sendable`); other
/// threads reach it only through its `Control`.
final class SupervisorLoop {
    /// What other threads may do to a running loop: stop it, or hand it a new reader list.
    final class Control: Sendable {
        let stop = StopSignal()
        /// Reload: the next reader list, applied by the loop's own thread.
        fileprivate let pending = Mutex<[GatewayConfig.Reader]?>(nil)
        fileprivate let updated = StopSignal()

        /// Reload: sessions of readers whose device settings changed (or that are gone) stop
        /// after their current commit and reopen under the new settings; the others are left
        /// alone.
        func update(_ readers: [GatewayConfig.Reader]) {
            pending.withLock { $0 = readers }
            updated.signal()
        }
    }

    private(set) var readers: [GatewayConfig.Reader]
    let sink: CaptureSink
    let control: Control
    private var stop: StopSignal { control.stop }
    let logger: Logger
    let rescanMs: Int32 = 2000
    let failedRetryMs: UInt64 = 30_000

    private struct Active {
        let stop: StopSignal
        let devnode: String
    }
    private var active: [String: Active] = [:]
    private var failed: [String: (reason: String, retryAt: UInt64)] = [:]
    private var finished: Set<String> = []
    private let ended = NIOLockedValueBox<[(key: String, end: SessionEnd)]>([])
    private let endedSignal = StopSignal()
    private let group = DispatchGroup()

    let states: ReaderStates
    private var udev: UdevDevices!
    private var monitorFD: Int32?

    init(readers: [GatewayConfig.Reader], sink: CaptureSink, control: Control, states: ReaderStates, logger: Logger) {
        self.readers = readers
        self.sink = sink
        self.control = control
        self.states = states
        self.logger = logger
    }

    private func watch() {
        let subsystems = Array(Set(readers.compactMap(\.subsystem))).sorted()
        if let udev, udev.subsystems == subsystems { return }
        udev = UdevDevices(subsystems: subsystems)
        monitorFD = udev.startMonitor()
        if monitorFD == nil {
            logger.warning(
                "udev monitor unavailable; devices are looked for every few seconds instead",
                metadata: ["rescan_ms": "\(rescanMs)"]
            )
        }
    }

    private func applyUpdate() {
        control.updated.reset()
        guard
            let new = control.pending.withLock({ p -> [GatewayConfig.Reader]? in
                defer { p = nil }
                return p
            })
        else { return }
        let before = Dictionary(
            readers.map { ($0.id, ReloadPlan.sessionSettings($0)) },
            uniquingKeysWith: { a, _ in a }
        )
        let after = Dictionary(new.map { ($0.id, ReloadPlan.sessionSettings($0)) }, uniquingKeysWith: { a, _ in a })
        let changed = Set(before.keys.filter { after[$0] != before[$0] })
        func idOf(_ key: String) -> String { String(key.prefix { $0 != "@" }) }
        for (key, a) in active where changed.contains(idOf(key)) {
            logger.info("reader session closing for new settings", metadata: ["session": "\(key)"])
            a.stop.signal()
        }
        failed = failed.filter { !changed.contains(idOf($0.key)) }
        finished = finished.filter { !changed.contains(idOf($0)) }
        readers = new
        watch()
        consider(udev.enumerate())
        considerFixedPaths(udev)
    }

    func run() {
        watch()
        logger.info(
            "reader supervisor started",
            metadata: ["readers": "\(readers.map(\.id))", "udev_source": "\(udev.source)"]
        )
        consider(udev.enumerate())
        considerFixedPaths(udev)
        while true {
            var fds = [
                pollfd(fd: stop.fd, events: Int16(POLLIN), revents: 0),
                pollfd(fd: endedSignal.fd, events: Int16(POLLIN), revents: 0),
                pollfd(fd: control.updated.fd, events: Int16(POLLIN), revents: 0),
            ]
            if let m = monitorFD { fds.append(pollfd(fd: m, events: Int16(POLLIN), revents: 0)) }
            let n = poll(&fds, nfds_t(fds.count), rescanMs)
            if n < 0 && errno == EINTR { continue }
            if fds[0].revents != 0 { break }
            if fds[1].revents != 0 {
                endedSignal.reset()
                reap()
            }
            if fds[2].revents != 0 { applyUpdate() }
            if fds.count > 3 && fds[3].revents != 0 {
                while let (action, dev) = udev.receive() {
                    switch action {
                    case .add, .change:
                        // A device that came (back) deserves a fresh try even if it failed before.
                        failed = failed.filter { !$0.key.hasSuffix("@" + dev.devnode) }
                        consider([dev])
                    case .remove:
                        for (key, a) in active where a.devnode == dev.devnode {
                            logger.info("device removed", metadata: ["session": "\(key)"])
                            a.stop.signal()
                        }
                    case .other:
                        break
                    }
                }
            }
            considerFixedPaths(udev)
        }
        for a in active.values { a.stop.signal() }
        group.wait()
        logger.info("reader supervisor stopped")
    }

    private func considerFixedPaths(_ udev: UdevDevices) {
        for r in readers {
            if case .nfc(let n) = r.kind, case .pcsc = n.backend {
                // pcscd owns the device; the session finds its readers and follows them itself.
                start(r, devnode: "pcsc")
                continue
            }
            guard let path = r.path, let node = realpath(path) else { continue }
            let key = "\(r.id)@\(node)"
            guard active[key] == nil else { continue }
            if r.match != nil {
                // With a rule as well, the device must also match it: ask udev about it.
                let dev = udev.enumerate().first { $0.devnode == node && $0.subsystem == r.subsystem }
                guard let dev, ReaderSelection.whyNot(r, dev, resolvedPath: node) == nil else { continue }
            }
            start(r, devnode: node)
        }
    }

    private func consider(_ devices: [DeviceDescription]) {
        for dev in devices {
            for r in readers where r.subsystem == dev.subsystem {
                guard ReaderSelection.whyNot(r, dev, resolvedPath: r.path.flatMap(realpath)) == nil else { continue }
                start(r, devnode: dev.devnode, device: dev)
            }
        }
    }

    private func start(_ r: GatewayConfig.Reader, devnode: String, device: DeviceDescription? = nil) {
        let key = "\(r.id)@\(devnode)"
        guard active[key] == nil, !finished.contains(key) else { return }
        if let f = failed[key], gw_now_ms() < f.retryAt { return }
        guard r.kind != .line else { return }
        let stop = StopSignal()
        active[key] = Active(stop: stop, devnode: devnode)
        states.set(active.keys)
        if let d = device {
            // Identity from sysfs: which physical reader this is (no scan content).
            logger.info(
                "reader device found",
                metadata: [
                    "reader": "\(r.id)", "device": "\(devnode)",
                    "usb": "\(d.vendor.map(hex4) ?? "-"):\(d.product.map(hex4) ?? "-")",
                    "serial": "\(d.serial ?? "-")", "name": "\(d.name ?? "-")",
                ]
            )
        }
        let ended = self.ended
        let endedSignal = self.endedSignal
        let (sink, logger, health) = (self.sink, self.logger, self.states.health)
        group.enter()
        let t = Thread { [group] in
            // Made here: a session is its thread's alone.
            let committer = ScanCommitter(reader: r, sink: sink, stop: stop, logger: logger, health: health)
            let end = Self.session(for: r, committer: committer, stop: stop).run(devnode: devnode)
            committer.finish()
            ended.withLockedValue { $0.append((key, end)) }
            endedSignal.signal()
            group.leave()
        }
        t.name = "reader-\(r.id)"
        t.start()
    }

    private static func session(
        for r: GatewayConfig.Reader,
        committer: ScanCommitter,
        stop: StopSignal
    ) -> DeviceSession {
        switch r.kind {
        case .serial(let baud, let framing):
            return SerialReader(config: r, baud: baud, framing: framing, committer: committer, stop: stop)
        case .evdev(let layout, let keys, let grab):
            return EvdevReader(
                config: r,
                layout: KeyboardLayout.named(layout) ?? .us,
                options: keys,
                grab: grab,
                committer: committer,
                stop: stop
            )
        case .hidraw:
            return HidrawReader(config: r, committer: committer, stop: stop)
        case .camera(let width, let height):
            return CameraReader(config: r, width: width, height: height, committer: committer, stop: stop)
        case .nfc(let settings):
            switch settings.backend {
            case .pcsc: return PCSCNFCReader(config: r, settings: settings, committer: committer, stop: stop)
            case .usb: return USBNFCReader(config: r, settings: settings, committer: committer, stop: stop)
            }
        case .line:
            preconditionFailure("line readers run under ReaderPool; start() never hands one to a session")
        }
    }

    private func reap() {
        let done = ended.withLockedValue { list -> [(key: String, end: SessionEnd)] in
            defer { list.removeAll() }
            return list
        }
        for (key, end) in done {
            active[key] = nil
            states.set(active.keys)
            let id = String(key.split(separator: "@").first ?? "")
            switch end {
            case .stopped:
                logger.info("reader session ended", metadata: ["reader": "\(id)", "session": "\(key)"])
                // Stopped for new settings (reload): reopen at once if the reader still wants it.
                if !stop.isSignalled {
                    consider(udev.enumerate())
                    considerFixedPaths(udev)
                }
            case .finished:
                finished.insert(key)
                logger.info("reader input finished", metadata: ["reader": "\(id)", "session": "\(key)"])
            case .gone(let why):
                logger.warning(
                    "reader disconnected",
                    metadata: ["reader": "\(id)", "session": "\(key)", "reason": "\(why)"]
                )
            case .failed(let why):
                if failed[key]?.reason != why {
                    logger.error("reader unusable", metadata: ["reader": "\(id)", "error": "\(why)"])
                }
                // A device found by a rule is tried again when udev announces it again (replug);
                // a fixed path, which may be fixed by hand (permissions), after failedRetryMs.
                let fixedPath = readers.first { $0.id == id }?.path != nil
                failed[key] = (why, fixedPath ? gw_now_ms() + failedRetryMs : .max)
            }
        }
    }
}

func realpath(_ path: String) -> String? {
    guard let p = Glibc.realpath(path, nil) else { return nil }
    defer { free(p) }
    return String(cString: p)
}

func gw_now_ms() -> UInt64 { Clocks.monotonicNanos() / 1_000_000 }
