import Crypto
import Foundation
import GatewayCore
import GatewaySystem
import Glibc
import Logging

/// `gatewayd --probe`: what a technician needs to know about a terminal — config, keys,
/// readers and their devices, the USB bus, gpsd, spool, forwarder, case server — each ok /
/// warn / fail with a reason that says what to do (`ProbeReport`, schema in
/// docs/probe.schema.json).
///
/// Read-only: it opens the spool for reading, listens to gpsd for a few seconds, and sends the
/// server one sealed probe envelope (seq 0, kind "probe"), which the server authenticates and
/// answers without storing. `ok` (exit status 0) only when nothing needed to deliver scans
/// failed; a reader with no device plugged in or a missing GPS fix is a warning.
public enum Probe {
    /// The user the daemon runs as (systemd/gatewayd.sysusers); device permissions are judged
    /// for it.
    public static let serviceUser = "gatewayd"

    /// - Parameter user: whom device permissions are judged for; nil = `serviceUser` if it
    ///   exists, else whoever runs the probe.
    ///
    /// - Parameter usbListing: whether the USB bus is listed (libusb is then loaded).
    ///
    /// The checks that read files, sysfs and the spool run on a thread of their own (the kiosk
    /// runs the probe from a task: nothing here may hold a thread of the cooperative pool).
    public static func run(
        configPath: String,
        user: String? = nil,
        gpsdWaitSeconds: Double = 3,
        usbListing: USBListing = .always
    ) async -> ProbeReport {
        let local = await OwnThread.run(name: "probe") {
            localChecks(configPath: configPath, user: user, usbListing: usbListing)
        }
        guard let config = local.config else {
            return ProbeReport(version: GatewayVersion.string, checks: local.checks)
        }
        var checks = local.checks
        if let g = config.gps { checks.append(await gpsdCheck(g, waitSeconds: gpsdWaitSeconds)) }
        checks += await OwnThread.run(name: "probe") { [spoolCheck(config), forwarderCheck()] }
        checks.append(await serverCheck(config, sealer: local.sealer))
        return ProbeReport(version: GatewayVersion.string, checks: checks)
    }

    /// Config, keys, readers and the USB bus; the config is nil when it does not load.
    static func localChecks(
        configPath: String,
        user: String?,
        usbListing: USBListing
    ) -> (config: GatewayConfig?, checks: [ProbeCheck], sealer: EnvelopeSealer?) {
        let config: GatewayConfig
        do {
            config = try GatewayDaemon.loadConfig(path: configPath)
        } catch {
            return (nil, [ProbeCheck(name: "config", status: .fail, detail: "\(error)")], nil)
        }
        let warnings = ConfigWarnings.of(config, nowNanos: Clocks.wallNanos())
        var c = ProbeCheck(
            name: "config",
            status: warnings.isEmpty ? .ok : .warn,
            detail:
                "\(configPath): \(config.readers.count) readers, \(config.schemas.count) schemas, \(config.redact.rules.count) redaction rules"
                + (warnings.isEmpty ? "" : ", \(warnings.count) warnings"),
            lines: warnings.isEmpty ? nil : warnings.map { "warning: \($0)" }
        )
        c.warnings = warnings
        let keys = keyChecks(config)
        return (
            config,
            [c] + keys.checks + readerChecks(config, user: user) + [usbBusCheck(config, listing: usbListing)],
            keys.sealer
        )
    }

    // MARK: keys

    static func keyChecks(_ config: GatewayConfig) -> (checks: [ProbeCheck], sealer: EnvelopeSealer?) {
        var checks: [ProbeCheck] = []
        do {
            if let handle = config.device.tpmHandle {
                let k = try TPMDeviceKey.shared(handle: handle)
                checks.append(
                    .init(
                        name: "device key",
                        status: .ok,
                        detail:
                            "TPM 2.0, handle \(TPMHandle.format(handle)), ECC P-256, not exportable; public key id \(SealingPublicKey(k.publicKey).keyID), device id \(config.device.id)"
                    )
                )
            } else {
                let k = try KeyFile.loadAgreementKey(config.device.privateKeyPath, role: "device")
                checks.append(
                    .init(
                        name: "device key",
                        status: .ok,
                        detail:
                            "\(config.device.privateKeyPath) (0600), \(k.kem) public key id \(k.publicKey.keyID), device id \(config.device.id)"
                    )
                )
            }
        } catch {
            checks.append(.init(name: "device key", status: .fail, detail: "\(error)"))
        }
        do {
            let k = try KeyFile.loadAgreementPublicKey(config.server.publicKeyPath, role: "server")
            var detail = "\(config.server.publicKeyPath), key id \(config.server.keyID ?? k.keyID)"
            if let n = config.server.next {
                let nk = try KeyFile.loadAgreementPublicKey(n.publicKeyPath, role: "server")
                detail +=
                    "; next \(n.keyID ?? nk.keyID) from \(RFC3339.format(unixNanos: n.fromNanos))"
            }
            checks.append(.init(name: "server key", status: .ok, detail: detail))
        } catch {
            checks.append(.init(name: "server key", status: .fail, detail: "\(error)"))
        }
        // The sealer the daemon would build; nil when a key check above failed, or when both
        // keys read but do not pair (an X25519 device key with a P-256 server key, or the
        // reverse): then the server key check fails with the daemon's own message.
        let sealer: EnvelopeSealer?
        do {
            sealer = try GatewayDaemon.makeEnvelopeSealer(config)
        } catch {
            sealer = nil
            if let i = checks.firstIndex(where: { $0.name == "server key" && $0.status == .ok }),
                !checks.contains(where: { $0.status == .fail })
            {
                checks[i] = .init(name: "server key", status: .fail, detail: "\(error)")
            }
        }
        if Redactor.needsSiteKey(config.redact.rules) {
            do {
                _ = try KeyFile.loadSiteKey(config.redact.siteKeyPath)
                checks.append(.init(name: "site key", status: .ok, detail: "\(config.redact.siteKeyPath) (0600)"))
            } catch {
                checks.append(.init(name: "site key", status: .fail, detail: "\(error)"))
            }
        }
        return (checks, sealer)
    }

    // MARK: readers

    /// Whom device permissions are judged for: the service user if it exists, else whoever runs
    /// the probe.
    static func accessUser(_ wanted: String?) -> (name: String, uid: UInt32, gids: [UInt32]) {
        let serviceUser = wanted ?? Self.serviceUser
        if let pw = getpwnam(serviceUser) {
            var n: Int32 = 64
            var groups = [gid_t](repeating: 0, count: Int(n))
            if getgrouplist(serviceUser, pw.pointee.pw_gid, &groups, &n) < 0 {
                groups = [gid_t](repeating: 0, count: Int(n))
                _ = getgrouplist(serviceUser, pw.pointee.pw_gid, &groups, &n)
            }
            return (serviceUser, pw.pointee.pw_uid, Array(groups.prefix(Int(max(0, n)))))
        }
        let n = getgroups(0, nil)
        var groups = [gid_t](repeating: 0, count: Int(max(0, n)))
        _ = getgroups(n, &groups)
        let name = getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? "uid \(geteuid())"
        return (name, geteuid(), [getegid()] + groups)
    }

    static func readerChecks(_ config: GatewayConfig, user wanted: String?) -> [ProbeCheck] {
        let subsystems = Array(Set(config.readers.compactMap(\.subsystem))).sorted()
        let devices = subsystems.isEmpty ? [] : UdevDevices(subsystems: subsystems).enumerate()
        let user = accessUser(wanted)
        let health = ReaderHealthBoard.read()
        return config.readers.map { r in
            let check: ProbeCheck
            if r.kind == .line {
                check = lineReaderCheck(r, user: user)
            } else if case .nfc(let n) = r.kind, case .pcsc(let name) = n.backend {
                check = pcscReaderCheck(r, pattern: name)
            } else {
                check = deviceReaderCheck(r, devices: devices, user: user)
            }
            return withHealth(check, health[r.id], nowWallNanos: Clocks.wallNanos())
        }
    }

    /// A reader's check with what the running daemon says of its health (`readers.json`): a
    /// reader that floods, or flooded or read noise lately, is a warning that says so.
    static func withHealth(_ check: ProbeCheck, _ health: ReaderHealth?, nowWallNanos: Int64) -> ProbeCheck {
        guard let health else { return check }
        var c = check
        c.reader?.health = health
        guard let v = health.verdict(nowWallNanos: nowWallNanos) else { return c }
        var lines = c.lines ?? []
        lines.append("daemon: " + v.words)
        c.lines = lines
        if v.warn {
            c.status = ProbeCheck.worst(c.status, .warn)
            let what =
                health.flooding
                ? "flooding: more scans a second than its flood_rate" : v.noisy ? "noisy" : "flooded lately"
            c.detail +=
                " — \(what)"
                + (v.noisy ? "; lines that cannot be a label arrive as one `noise` misread a second" : "")
                + " — check the reader, its cable and its settings (baud rate, framing), or what writes to it"
        }
        return c
    }

    static func kindName(_ k: GatewayConfig.Reader.Kind) -> String {
        switch k {
        case .line: return "line"
        case .serial: return "serial"
        case .evdev: return "evdev"
        case .hidraw: return "hidraw"
        case .camera: return "camera"
        case .nfc(let n):
            if case .usb = n.backend { return "nfc (usb)" }
            return "nfc (pcsc)"
        }
    }

    static func lineReaderCheck(
        _ r: GatewayConfig.Reader,
        user: (name: String, uid: UInt32, gids: [UInt32])
    ) -> ProbeCheck {
        let path = r.path ?? "-"
        var check: ProbeCheck
        if path == "-" {
            check = .init(name: "reader \(r.id)", status: .ok, detail: "line reader on stdin")
        } else {
            var st = stat()
            if stat(path, &st) != 0 {
                // gatewayd makes the FIFO itself when it starts.
                let dir = (path as NSString).deletingLastPathComponent
                check = .init(
                    name: "reader \(r.id)",
                    status: .ok,
                    detail:
                        "line reader: \(path) does not exist yet; gatewayd creates the FIFO in \(dir.isEmpty ? "." : dir) at start"
                )
            } else {
                let a = FileAccess.of(
                    mode: st.st_mode,
                    owner: st.st_uid,
                    group: st.st_gid,
                    uid: user.uid,
                    gids: user.gids
                )
                let isFIFO = st.st_mode & S_IFMT == S_IFIFO
                check = .init(
                    name: "reader \(r.id)",
                    status: a.read ? .ok : .fail,
                    detail:
                        "line reader: \(path) \(FileAccess.modeString(st.st_mode)) \(owner(st)), \(user.name) may \(a.summary)"
                        + (isFIFO ? "" : " (not a FIFO: read to its end, then the reader stops)")
                        + (a.read
                            ? ""
                            : " — the daemon cannot read it: chown \(user.name) or chmod g+r with a group \(user.name) is in")
                )
            }
        }
        check.reader = .init(id: r.id, kind: "line", path: path, rule: nil, devices: [])
        return check
    }

    static func owner(_ st: stat) -> String {
        let u = getpwuid(st.st_uid).map { String(cString: $0.pointee.pw_name) } ?? "\(st.st_uid)"
        let g = getgrgid(st.st_gid).map { String(cString: $0.pointee.gr_name) } ?? "\(st.st_gid)"
        return "\(u):\(g)"
    }

    static func deviceReaderCheck(
        _ r: GatewayConfig.Reader,
        devices: [DeviceDescription],
        user: (name: String, uid: UInt32, gids: [UInt32])
    ) -> ProbeCheck {
        let resolved = r.path.flatMap(realpath)
        var candidates = devices.filter { $0.subsystem == r.subsystem }
        // A fixed path udev does not know (a pty, a node made by hand) is still read.
        if let node = resolved, !candidates.contains(where: { $0.devnode == node }) {
            candidates.insert(DeviceDescription(devnode: node, subsystem: r.subsystem ?? ""), at: 0)
        }
        let needs = ReaderSelection.needs(r)
        var facts: [ProbeCheck.DeviceFacts] = []
        var blocked: [String] = []
        var sandboxed: [String] = []
        var heldByKernel: [String] = []
        for d in candidates {
            let why = ReaderSelection.whyNot(r, d, resolvedPath: resolved)
            // Passed-over devices are worth a line only where a rule chose among them, and only
            // if they could be a reader (USB, or named): not the 64 virtual consoles.
            if why != nil && (r.match == nil || (d.vendor == nil && d.name == nil)) { continue }
            var st = stat()
            let statted = stat(d.devnode, &st) == 0
            let a =
                statted
                ? FileAccess.of(mode: st.st_mode, owner: st.st_uid, group: st.st_gid, uid: user.uid, gids: user.gids)
                : nil
            facts.append(
                .init(
                    devnode: d.devnode,
                    usb: d.vendor.map { "\(hex4($0)):\(d.product.map(hex4) ?? "????")" },
                    serial: d.serial,
                    name: d.name,
                    driver: d.driver,
                    mode: statted ? "\(FileAccess.modeString(st.st_mode)) \(owner(st))" : nil,
                    access: a?.summary,
                    needs: needs,
                    matched: why == nil,
                    whyNot: why
                )
            )
            if why == nil && !(a?.covers(needs) ?? false) { blocked.append(d.devnode) }
            if why == nil, case .nfc = r.kind, a?.covers(needs) ?? false {
                // The mode allows it; a device cgroup (the unit's DevicePolicy/DeviceAllow) can
                // still refuse the open, with EPERM: the probe run by the daemon sees that.
                let fd = open(d.devnode, O_RDWR | O_NONBLOCK | O_CLOEXEC)
                if fd >= 0 { close(fd) } else if errno == EPERM { sandboxed.append(d.devnode) }
                for held in Self.kernelDrivers(usbNode: d.devnode) where Self.nfcKernelDrivers.contains(held) {
                    heldByKernel.append("\(d.devnode) (\(held))")
                }
            }
        }
        let matched = facts.filter(\.matched)
        let rule = ReaderSelection.describeRule(r)
        let status: ProbeCheck.Status
        let detail: String
        if matched.isEmpty {
            status = .warn
            detail =
                "\(kindName(r.kind)) reader (\(rule)): no device found"
                + (r.path != nil && resolved == nil
                    ? " — \(r.path!) does not exist: is the reader plugged in? (ls -l /dev/serial/by-id /dev/input/by-id)"
                    : candidates.isEmpty
                        ? " — no \(r.subsystem ?? "") device at all: is it plugged in, and its driver loaded?"
                        : facts.isEmpty
                            ? ""
                            : "; \(facts.count) \(r.subsystem ?? "") device\(facts.count == 1 ? "" : "s") did not match (below)")
        } else if !sandboxed.isEmpty {
            status = .fail
            detail =
                "\(kindName(r.kind)) reader (\(rule)): \(sandboxed.joined(separator: ", ")) blocked by the service's sandbox"
                + " (open: operation not permitted) — gatewayd.service needs DeviceAllow=char-usb_device rw"
        } else if !blocked.isEmpty {
            status = .fail
            detail =
                "\(kindName(r.kind)) reader (\(rule)): \(blocked.joined(separator: ", ")) not \(needs == "r" ? "readable" : "readable and writable") by \(user.name)"
                + " — install udev/70-gatewayd.rules (udevadm control --reload && udevadm trigger) or add \(user.name) to the node's group"
        } else if !heldByKernel.isEmpty {
            status = .warn
            detail =
                "\(kindName(r.kind)) reader (\(rule)): \(heldByKernel.joined(separator: ", ")) held by the kernel's NFC driver"
                + " — install the blacklist (/etc/modprobe.d/gatewayd-nfc.conf) and replug, or modprobe -r pn533_usb"
        } else {
            status = .ok
            detail = "\(kindName(r.kind)) reader (\(rule)): \(matched.map(\.devnode).joined(separator: ", "))"
        }
        var lines: [String] = []
        let shownUnmatched = 10
        for f in matched + facts.filter({ !$0.matched }).prefix(shownUnmatched) {
            var l = f.devnode
            if let u = f.usb { l += " usb \(u)" }
            if let n = f.name { l += " '\(n)'" }
            if let s = f.serial { l += " serial \(s)" }
            if let drv = f.driver { l += " driver \(drv)" }
            if let m = f.mode { l += " \(m)" }
            l += f.access.map { ", \(user.name) may \($0) (needs \(needs))" } ?? ", cannot stat"
            l += f.matched ? " — selected" : " — not selected: \(f.whyNot ?? "")"
            lines.append(l)
        }
        let hidden = facts.filter { !$0.matched }.count - shownUnmatched
        if hidden > 0 { lines.append("… \(hidden) more unmatched (see --json)") }
        var check = ProbeCheck(
            name: "reader \(r.id)",
            status: status,
            detail: detail,
            lines: lines.isEmpty ? nil : lines
        )
        check.reader = .init(id: r.id, kind: kindName(r.kind), path: r.path, rule: rule, devices: facts)
        return check
    }

    // MARK: gpsd

    /// Runs a gpsd client for up to `waitSeconds`, until a usable fix arrives. The client blocks
    /// in libgps as it does in the daemon, so it gets a thread of its own; the check waits for
    /// it without holding a thread of the caller's (the kiosk runs the probe from a task).
    static func gpsdCheck(_ g: GatewayConfig.GPS, waitSeconds: Double) async -> ProbeCheck {
        do {
            try LibGPS.load()
        } catch {
            return .init(name: "gpsd", status: .fail, detail: "\(error) — events would carry no location")
        }
        let state = GPSState()
        let stop = StopSignal()
        let client = GPSDClient(
            source: .init(g),
            state: state,
            stop: stop,
            logger: .init(label: "probe", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        async let ended: Void = OwnThread.run(name: "probe-gpsd") { client.run() }
        let policy = FixPolicy(maxAgeSeconds: g.maxAgeSeconds)
        let deadline = Clocks.monotonicNanos() + UInt64(waitSeconds * 1e9)
        // Until a usable fix arrives, or the wait is over. gpsd sends the satellite count in a
        // SKY report of its own, which may follow the epoch's TPV; so after the first usable fix
        // the check waits up to one more gpsd cycle (1.5 s) for it rather than reporting a fix
        // without satellites.
        var skyDeadline: UInt64?
        while Clocks.monotonicNanos() < deadline {
            let now = Clocks.monotonicNanos()
            let loc = policy.location(last: state.snapshot().0, captureMonotonicNanos: now)
            if loc.fix != .none {
                if loc.satellites != nil { break }
                if let d = skyDeadline, now >= d { break }
                if skyDeadline == nil { skyDeadline = now + 1_500_000_000 }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        let connected = state.connected
        stop.signal()
        await ended
        let (last, skew) = state.snapshot()
        let (release, devices) = state.daemon()
        let address = "\(LibGPS.Source(g))"
        let loc = policy.location(last: last, captureMonotonicNanos: Clocks.monotonicNanos())
        var facts = ProbeCheck.GPSDFacts(
            address: address,
            reachable: connected || release != nil,
            release: release,
            devices: devices,
            fix: loc.fix.rawValue,
            ageS: loc.ageMs.map { Double($0) / 1000 },
            satellites: loc.satellites,
            accuracyM: loc.accuracyM,
            clockSkewMs: skew.map { $0 / 1_000_000 }
        )
        var check: ProbeCheck
        if !facts.reachable {
            facts.fix = "none"
            check = .init(
                name: "gpsd",
                status: .warn,
                detail:
                    "\(address) not reachable: events carry no location — systemctl status gpsd, and check [gps] gpsd"
            )
        } else if loc.fix == .none {
            check = .init(
                name: "gpsd",
                status: .warn,
                detail:
                    "\(address) gpsd \(release ?? "?"), devices \(devices.isEmpty ? "none" : devices.joined(separator: ", ")): no usable fix within \(Int(waitSeconds)) s (\(loc.reason ?? "no fix")) — events carry fix \"none\""
            )
        } else {
            let skewMs = skew.map { $0 / 1_000_000 }
            let clockOK = skewMs.map { abs($0) <= Int64(g.maxClockSkewMs) } ?? true
            check = .init(
                name: "gpsd",
                status: clockOK ? .ok : .warn,
                detail:
                    "\(address) gpsd \(release ?? "?"), devices \(devices.joined(separator: ", ")): \(loc.fix.rawValue) fix, \(loc.ageMs ?? 0) ms old, \(loc.satellites.map { "\($0) satellites, " } ?? "")accuracy \(loc.accuracyM.map { String(format: "%.0f m", $0) } ?? "?")"
                    + (skewMs.map { ", system clock \($0 >= 0 ? "+" : "")\($0) ms from GPS time" } ?? "")
                    + (clockOK ? "" : " — beyond max_clock_skew_ms \(g.maxClockSkewMs): check NTP (timedatectl)")
            )
        }
        check.gpsd = facts
        return check
    }

    // MARK: spool and forwarder

    static func spoolCheck(_ config: GatewayConfig) -> ProbeCheck {
        let spoolDir = (config.spool.path as NSString).deletingLastPathComponent
        var fs = statvfs()
        let freeMB =
            statvfs(spoolDir.isEmpty ? "." : spoolDir, &fs) == 0 ? (Int(fs.f_bavail) * Int(fs.f_frsize)) >> 20 : nil
        let free = freeMB.map { "\($0) MiB free" } ?? "free space unknown"
        guard FileManager.default.fileExists(atPath: config.spool.path) else {
            let writable = Glibc.access(spoolDir.isEmpty ? "." : spoolDir, W_OK) == 0
            return .init(
                name: "spool",
                status: writable ? .ok : .fail,
                detail: writable
                    ? "\(config.spool.path) will be created (\(free))" : "\(spoolDir) is not writable by this user"
            )
        }
        do {
            let spool = try Spool(path: config.spool.path, limits: config.spool.limits)
            let s = try spool.status()
            let age = s.oldestSpooledAtNanos.map { Int(max(0, Clocks.wallNanos() - $0) / 1_000_000_000) }
            let detail =
                "\(s.depth) waiting (\(s.bytes >> 10) KiB), oldest \(age.map { "\($0) s" } ?? "-"), \(s.deadLetters) dead letters, \(s.droppedTotal) dropped, \(free)"
            let warn =
                s.deadLetters > 0 || s.droppedTotal > 0 || (freeMB.map { $0 < 64 } ?? false)
                || s.depth >= config.spool.limits.maxEnvelopes
            var check = ProbeCheck(
                name: "spool",
                status: warn ? .warn : .ok,
                detail: detail + (s.deadLetters > 0 ? " — see `gatewayd spool list --dead`" : "")
            )
            check.spool = .init(
                path: config.spool.path,
                depth: s.depth,
                bytes: s.bytes,
                oldestAgeS: age,
                deadLetters: s.deadLetters,
                droppedTotal: s.droppedTotal,
                freeMB: freeMB
            )
            return check
        } catch {
            return .init(name: "spool", status: .fail, detail: "\(error)")
        }
    }

    static func forwarderCheck() -> ProbeCheck {
        guard let f = ForwarderStatusBoard.read() else {
            return .init(
                name: "forwarder",
                status: .warn,
                detail:
                    "no status in \(RuntimeDirectory.path): the daemon is not running (or runs with another RUNTIME_DIRECTORY)"
            )
        }
        let detail =
            "circuit \(f.circuit), \(f.consecutiveFailures) consecutive failures, last success \(f.lastSuccessAt ?? "never")"
            + (f.circuit == "open" ? ", last error: \(f.lastError ?? "-")" : "")
        return .init(name: "forwarder", status: f.circuit == "open" ? .warn : .ok, detail: detail)
    }

    // MARK: server

    /// The host's addresses as the resolver gives them (what DNS says, before any connect).
    static func resolve(_ url: String) -> (host: String, addresses: [String], error: String?) {
        guard let u = URL(string: url), let host = u.host else { return ("?", [], "server URL has no host") }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &res)
        guard rc == 0 else { return (host, [], "cannot resolve \(host): \(String(cString: gai_strerror(rc)))") }
        defer { freeaddrinfo(res) }
        var out: [String] = []
        var p = res
        while let a = p {
            var buf = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(a.pointee.ai_addr, a.pointee.ai_addrlen, &buf, socklen_t(buf.count), nil, 0, NI_NUMERICHOST)
                == 0
            {
                let s = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !out.contains(s) { out.append(s) }
            }
            p = a.pointee.ai_next
        }
        return (host, out, nil)
    }

    static func serverCheck(_ config: GatewayConfig, sealer: EnvelopeSealer?) async -> ProbeCheck {
        let url = config.server.url
        var facts = ProbeCheck.ServerFacts(url: url)
        let dns = await OwnThread.run(name: "probe-dns") { resolve(url) }
        facts.addresses = dns.addresses
        if let e = dns.error {
            var c = ProbeCheck(
                name: "server",
                status: .fail,
                detail: "\(url): \(e) — check /etc/resolv.conf or use the server's address"
            )
            c.server = facts
            return c
        }
        let deliverer: HTTPDeliverer
        do {
            deliverer = try HTTPDeliverer(config: config)
        } catch {
            var c = ProbeCheck(name: "server", status: .fail, detail: "\(error)")
            c.server = facts
            return c
        }
        var batch: [Envelope] = []
        if let sealer {
            let now = Clocks.wallNanos()
            var rng = SystemRandomNumberGenerator()
            var ids = UUIDv7Generator()
            let event = CaptureEvent.probe(
                id: ids.next(unixMillis: UInt64(max(0, now)) / 1_000_000, using: &rng),
                device: config.device.id,
                wallNanos: now,
                monotonicNanos: Clocks.monotonicNanos()
            )
            if let e = try? sealer.seal(event, sealedAtNanos: now) { batch = [e] }
        }
        let sentAt = Clocks.wallNanos()
        let inspection = await deliverer.inspect(batch)
        await deliverer.shutdown()
        facts.chain = inspection.chain
        facts.roundTripMs = inspection.roundTripMs
        var status = ProbeCheck.Status.ok
        var notes: [String] = []
        var lines = inspection.chain.map { c in
            "certificate \(c.subject), expires \(c.notAfter) (\(c.daysLeft) days)"
                + (c.pinSHA256.map { ", pin_sha256 \($0)" } ?? "")
        }
        if let leaf = inspection.chain.first {
            if leaf.daysLeft < 0 {
                status = .fail
                notes.append("the server certificate expired \(leaf.notAfter)")
            } else if leaf.daysLeft < 30 {
                status = ProbeCheck.worst(status, .warn)
                notes.append("the server certificate expires in \(leaf.daysLeft) days")
            }
        }
        if let date = inspection.serverDate {
            let offset = ClockOffset(
                sentAtNanos: sentAt,
                receivedAtNanos: inspection.receivedAtNanos,
                serverDateSeconds: date
            )
            let skewMs = offset.estimateMs
            facts.clockSkewMs = skewMs
            facts.clockSkewUncertaintyMs = offset.uncertaintyMs
            lines.append(
                "clock: this terminal is \(skewMs >= 0 ? "+" : "")\(skewMs) ms from the server's Date (±\(offset.uncertaintyMs) ms)"
            )
            let limit = Int64(config.gps?.maxClockSkewMs ?? GatewayConfig.GPS.defaultMaxClockSkewMs)
            switch offset.verdict(limitMs: limit) {
            case .within: break
            case .beyond:
                status = ProbeCheck.worst(status, .warn)
                notes.append(
                    "clock off by \(Int((Double(skewMs) / 1000).rounded())) s from the server: captured_at will be wrong — check NTP (timedatectl)"
                )
            case .unknown:
                lines.append(
                    "clock: the exchange took \(inspection.roundTripMs ?? 0) ms, too slow to check the clock to ±\(limit) ms; `timedatectl` shows whether NTP keeps it"
                )
            }
        }
        switch inspection.outcome {
        case .results(let r):
            facts.httpStatus = 200
            facts.serverKeyIDs = r.serverKeyIDs
            if let probeResult = r.results.first {
                facts.probeEnvelope =
                    probeResult.status == .accepted ? "accepted" : (probeResult.reason ?? probeResult.status.rawValue)
                if probeResult.status != .accepted {
                    status = .fail
                    notes.append(
                        "the server refused the sealed probe: \(probeResult.reason ?? probeResult.status.rawValue) — \(refusalFix(probeResult.reason))"
                    )
                }
            } else if !batch.isEmpty {
                status = .fail
                notes.append("the server did not answer for the probe envelope")
            }
            if let ids = r.serverKeyIDs, let sealer {
                var mine = [sealer.serverKeyID]
                if let n = sealer.next { mine.append(n.keyID) }
                let missing = mine.filter { !ids.contains($0) }
                if !missing.isEmpty {
                    status = .fail
                    notes.append(
                        "the server holds no private key for \(missing.joined(separator: ", ")) (it has \(ids.joined(separator: ", "))): envelopes sealed to it would be rejected"
                    )
                }
            }
            let what =
                batch.isEmpty
                ? "an empty batch accepted (keys missing: no sealed probe)"
                : (facts.probeEnvelope == "accepted"
                    ? "the sealed probe envelope authenticated"
                    : "probe envelope \(facts.probeEnvelope ?? "unanswered")")
            let head =
                "\(url) (\(dns.addresses.joined(separator: ", "))): TLS verified\(config.server.pins.isEmpty ? "" : " and pinned"), \(what), \(inspection.roundTripMs ?? 0) ms"
            var c = ProbeCheck(
                name: "server",
                status: status,
                detail: ([head] + notes).joined(separator: "; "),
                lines: lines.isEmpty ? nil : lines
            )
            c.server = facts
            return c
        case .httpStatus(let code, _, let detail):
            facts.httpStatus = code
            var c = ProbeCheck(
                name: "server",
                status: .fail,
                detail: "\(url) answered HTTP \(code)\(detail.map { ": \($0)" } ?? "")"
                    + (notes.isEmpty ? "" : "; " + notes.joined(separator: "; ")),
                lines: lines.isEmpty ? nil : lines
            )
            c.server = facts
            return c
        case .transportFailure(let reason):
            var c = ProbeCheck(
                name: "server",
                status: .fail,
                detail: "\(url) (\(dns.addresses.joined(separator: ", "))): \(reason)"
                    + (notes.isEmpty ? "" : "; " + notes.joined(separator: "; ")),
                lines: lines.isEmpty ? nil : lines
            )
            c.server = facts
            return c
        }
    }

    /// What to do about the server's reason for refusing the probe envelope.
    static func refusalFix(_ reason: String?) -> String {
        switch reason?.split(separator: ":").first.map(String.init) {
        case "unknown_device": return "register this device id and its public key (device.key.pub) at the case server"
        case "authentication_failed":
            return "the server has another public key for this device id: register device.key.pub again"
        case "unknown_key_id": return "[server] public_key is not a key the server holds: fetch the current one"
        default: return "see the case server's log"
        }
    }
}
