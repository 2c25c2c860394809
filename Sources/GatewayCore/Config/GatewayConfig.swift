import Foundation
import TOMLKit

/// gatewayd's configuration (TOML), validated completely at start so that a terminal with a
/// broken file fails at once with a message naming the key, not later at the first scan.
///
/// Relative paths are resolved against the directory of the config file.
/// `docs/configuration.md` documents every key; `gatewayd.example.toml` is a commented sample.
public struct GatewayConfig: Sendable, Equatable {
    public static let defaultPath = "/etc/gatewayd/gatewayd.toml"
    /// `[redact] site_key` when not given.
    public static let defaultSiteKeyPath = "/var/lib/gatewayd/site.key"

    public struct Device: Sendable, Equatable {
        /// The id this terminal is registered under at the case server.
        public var id: String
        /// PKCS#8 PEM of this terminal's X25519 key; mode 0600, owned by the service user.
        public var privateKeyPath: String
    }

    public struct Server: Sendable, Equatable {
        /// Base URL; must be https.
        public var url: String
        /// SubjectPublicKeyInfo PEM of the case server's X25519 key.
        public var publicKeyPath: String
        /// Overrides the key id derived from the public key.
        public var keyID: String?
        /// Server key rotation: the key to seal to from `nextFromNanos` on (wall clock), so a
        /// fleet switches at one moment without a config push at that moment.
        public var next: NextKey?
        /// PEM bundle of the CAs to trust for the server's TLS certificate; nil = system store.
        public var caPath: String?
        /// SPKI pins (RFC 7469 pin-sha256: base64 of SHA-256 of a SubjectPublicKeyInfo): when
        /// set, the server's chain must hold one of these keys as well as verify.
        public var pins: [String] = []
        /// Mutual TLS: this terminal's client certificate chain and key (PEM).
        public var clientCertPath: String?
        public var clientKeyPath: String?
    }

    public struct NextKey: Sendable, Equatable {
        public var publicKeyPath: String
        public var keyID: String?
        public var fromNanos: Int64
        public init(publicKeyPath: String, keyID: String?, fromNanos: Int64) {
            self.publicKeyPath = publicKeyPath
            self.keyID = keyID
            self.fromNanos = fromNanos
        }
    }

    /// `[redact]`: the rules every event passes before it is sealed.
    public struct Redact: Sendable, Equatable {
        /// The site key for `hash` rules: 32+ random bytes, mode 0600, the same on every terminal
        /// of a site (`gatewayd keygen --site-key`).
        public var siteKeyPath: String
        /// Configured rules, then (unless `builtin = false`) `RedactionRule.builtIn`.
        public var rules: [RedactionRule]
    }

    public struct Spool: Sendable, Equatable {
        public var path: String
        public var limits = SpoolLimits()
    }

    public struct Forward: Sendable, Equatable {
        public var batchMax: Int
        /// A batch's body stays under this many bytes (one envelope larger than it goes alone).
        public var batchMaxBytes: Int = 1 << 20
        /// After a wake-up with less than a full batch waiting, wait this long for more.
        public var linger: Duration = .milliseconds(20)
        /// Longest silence while waiting for the server's answer.
        public var readTimeout: Duration = .seconds(10)
        public var backoffBase: Duration
        public var backoffCap: Duration
        public var connectTimeout: Duration
        public var requestTimeout: Duration
    }

    public struct Reader: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            /// A FIFO, a pipe or stdin (`-`): one line is one scan.
            case line
            /// A tty (USB CDC-ACM, FTDI, CH340, PL2303, …) in raw mode at `baud`.
            case serial(baud: Int, framing: SerialFraming)
            /// A keyboard-wedge scanner or badge reader: /dev/input/event*, grabbed.
            case evdev(layout: String, keys: KeyDecoder.Options, grab: Bool)
            /// A HID POS scanner (usage page 0x8C): /dev/hidraw*.
            case hidraw
            /// A V4L2 camera (/dev/video*): codes in its frames, found by zbar.
            case camera(width: Int, height: Int)
        }
        public var id: String
        public var kind: Kind
        /// A fixed device path (may be a /dev/serial/by-id or /dev/gatewayd symlink).
        public var path: String?
        /// Or a rule that selects devices as they appear.
        public var match: DeviceMatch?
        public var maxLine: Int
        /// What this reader's scans are when no label schema recognises them: a badge reader
        /// at the door has role "operator". nil: such scans are `unknown`.
        public var role: TagClass?
        /// What the reader's bytes are when they cannot say themselves.
        public var decode: TagDecoder.Hint = .auto
        /// Repeated reads of the same tag within this window are one scan (RFID readers repeat).
        public var dedupMillis: Int = 0

        public init(id: String, kind: Kind, path: String?, match: DeviceMatch? = nil, maxLine: Int, role: TagClass? = nil) {
            self.id = id
            self.kind = kind
            self.path = path
            self.match = match
            self.maxLine = maxLine
            self.role = role
        }

        /// The kernel subsystem whose devices this reader uses.
        public var subsystem: String? {
            switch kind {
            case .line: return nil
            case .serial: return "tty"
            case .evdev: return "input"
            case .hidraw: return "hidraw"
            case .camera: return "video4linux"
            }
        }
    }

    public enum SerialFraming: Sendable, Equatable {
        case lines
        case em4100
        case stxEtx(BinaryFramer.Options)
    }

    public struct Schema: Sendable, Equatable {
        public var name: String
        public var pattern: String
        public var kind: TagClass
        public var subjectGroup: String
        public var length: Int?
        public var checkDigit: LabelSchema.CheckDigit?
        public var decodedFormat: String?
        public var subjectAI: String?
    }

    public var device: Device
    public var server: Server
    public var spool: Spool
    public var forward: Forward
    public var readers: [Reader]
    public var schemas: [Schema]
    public var redact: Redact = Redact(siteKeyPath: GatewayConfig.defaultSiteKeyPath, rules: RedactionRule.builtIn)
    /// `[gps]`: where gpsd listens and how old a fix may be; nil = no gpsd (events carry no
    /// location).
    public struct GPS: Sendable, Equatable {
        public var host: String
        public var port: UInt16
        public var maxAgeSeconds: Double
        public var maxClockSkewMs: Int
    }
    public var gps: GPS?
    /// `[operator]`: sessions from badge taps; nil = not tracked.
    public struct OperatorSettings: Sendable, Equatable {
        public var timeoutSeconds: Double
        public var logoutSubject: String
    }
    public var operatorSessions: OperatorSettings?
    /// `[geofence]`: areas and the fastest plausible movement; nil = no checks.
    public var geofence: Geofence?
    /// `[heartbeat] interval_s`: a sealed status report this often; nil = off.
    public var heartbeatInterval: Duration? = .seconds(300)
    /// `[metrics] listen`: host and port of the Prometheus endpoint (loopback only); nil = off.
    public var metricsListen: (host: String, port: Int)? = ("127.0.0.1", 9464)

    /// `[kiosk]`: the feedback page for the person at the terminal (docs/kiosk.md).
    public struct Kiosk: Sendable, Equatable {
        /// Where the page is served; loopback by default (the kiosk's own browser). nil = off.
        public var host: String
        public var port: Int
        /// How many recent scans the page shows (kept in memory only).
        public var recent: Int = 20
        /// Follow the cases shown (`GET /v1/cases/{ref}`) while a page is open.
        public var followCases = true
        /// The longest wait between two looks at an unchanged case.
        public var followCapSeconds = 30
        public init(host: String = "127.0.0.1", port: Int = 8470) {
            self.host = host
            self.port = port
        }
        public var isLoopback: Bool { ["127.0.0.1", "localhost", "::1"].contains(host) }
    }
    public var kiosk: Kiosk? = Kiosk()

    public static func == (a: GatewayConfig, b: GatewayConfig) -> Bool {
        a.device == b.device && a.server == b.server && a.spool == b.spool && a.forward == b.forward && a.readers == b.readers
            && a.schemas == b.schemas && a.redact == b.redact && a.gps == b.gps && a.operatorSessions == b.operatorSessions
            && a.geofence == b.geofence && a.heartbeatInterval == b.heartbeatInterval && a.metricsListen?.host == b.metricsListen?.host && a.metricsListen?.port == b.metricsListen?.port
            && a.kiosk == b.kiosk
    }

    public static let supportedBauds: [Int] = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600]

    /// - Parameter directory: where the file lives, for relative paths.
    public static func parse(toml text: String, directory: String) throws(ConfigError) -> GatewayConfig {
        let top = try ConfigSection.parse(text)
        func resolve(_ p: String) -> String {
            p.hasPrefix("/") || p == "-" ? p : (directory.hasSuffix("/") ? directory : directory + "/") + p
        }

        guard let dev = try top.table("device") else {
            throw .invalid(key: "device", problem: "missing", fix: "add a [device] table with id = \"...\"")
        }
        let device = Device(
            id: try validID(dev, "id", example: "terminal-0001"),
            privateKeyPath: resolve(try dev.string("private_key", default: "/var/lib/gatewayd/device.key")))
        try dev.finish()

        guard let srv = try top.table("server") else {
            throw .invalid(key: "server", problem: "missing", fix: "add a [server] table with url = \"https://...\"")
        }
        let url = try srv.requiredString("url", example: "https://cases.example.net")
        guard url.lowercased().hasPrefix("https://") else {
            throw .invalid(key: srv.key("url"), problem: "'\(url)' is not an https URL", fix: "scans leave the terminal only over TLS: use https://")
        }
        var server = Server(
            url: url.hasSuffix("/") ? String(url.dropLast()) : url,
            publicKeyPath: resolve(try srv.string("public_key", default: "/etc/gatewayd/server.pub")),
            keyID: try srv.string("key_id"),
            caPath: try srv.string("ca").map(resolve))
        let nextPath = try srv.string("next_public_key"), nextFrom = try srv.string("next_from"), nextID = try srv.string("next_key_id")
        if let nextPath {
            guard let from = nextFrom else {
                throw .invalid(key: srv.key("next_from"), problem: "missing", fix: "say when to switch to the next key, e.g. next_from = \"2027-01-01T00:00:00Z\"")
            }
            guard let nanos = RFC3339.parseUnixNanos(from) else {
                throw .invalid(key: srv.key("next_from"), problem: "'\(from)' is not an RFC 3339 UTC time", fix: "write it like \"2027-01-01T00:00:00Z\"")
            }
            server.next = NextKey(publicKeyPath: resolve(nextPath), keyID: nextID, fromNanos: nanos)
        } else if nextFrom != nil || nextID != nil {
            throw .invalid(key: srv.key("next_public_key"), problem: "missing", fix: "next_from and next_key_id describe a next key: give its next_public_key too")
        }
        server.pins = try srv.stringArray("pin_sha256") ?? []
        for pin in server.pins where Data(base64Encoded: pin)?.count != 32 {
            throw .invalid(key: srv.key("pin_sha256"), problem: "'\(pin)' is not base64 of 32 bytes",
                           fix: "compute it with: openssl x509 -in server.pem -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64")
        }
        server.clientCertPath = try srv.string("client_cert").map(resolve)
        server.clientKeyPath = try srv.string("client_key").map(resolve)
        guard (server.clientCertPath == nil) == (server.clientKeyPath == nil) else {
            throw .invalid(key: srv.key(server.clientCertPath == nil ? "client_cert" : "client_key"), problem: "missing",
                           fix: "mutual TLS needs both client_cert and client_key")
        }
        try srv.finish()

        var spool = Spool(path: "/var/lib/gatewayd/spool.db")
        if let sp = try top.table("spool") {
            spool.path = resolve(try sp.string("path", default: spool.path))
            spool.limits.maxEnvelopes = try sp.int("max_envelopes", default: spool.limits.maxEnvelopes, range: 1...100_000_000)
            spool.limits.maxBytes = try sp.int("max_mb", default: spool.limits.maxBytes >> 20, range: 1...1_000_000) << 20
            let overflow = try sp.string("overflow", default: spool.limits.overflow.rawValue)
            guard let policy = SpoolLimits.Overflow(rawValue: overflow) else {
                throw .invalid(key: sp.key("overflow"), problem: "unknown policy '\(overflow)'", fix: "use \"block\" (readers wait) or \"drop_oldest\" (oldest envelopes deleted, counted and logged)")
            }
            spool.limits.overflow = policy
            try sp.finish()
        }

        var forward = Forward(batchMax: 500, backoffBase: .milliseconds(500), backoffCap: .seconds(60),
                              connectTimeout: .seconds(5), requestTimeout: .seconds(30))
        if let fw = try top.table("forward") {
            forward.batchMax = try fw.int("batch_max", default: 500, range: 1...10_000)
            let base = try fw.int("backoff_base_ms", default: 500, range: 1...600_000)
            let cap = try fw.int("backoff_cap_ms", default: 60_000, range: 1...3_600_000)
            guard cap >= base else {
                throw .invalid(key: fw.key("backoff_cap_ms"), problem: "smaller than backoff_base_ms", fix: "make the cap at least the base")
            }
            forward.backoffBase = .milliseconds(base)
            forward.backoffCap = .milliseconds(cap)
            forward.connectTimeout = .milliseconds(try fw.int("connect_timeout_ms", default: 5_000, range: 100...600_000))
            forward.requestTimeout = .milliseconds(try fw.int("request_timeout_ms", default: 30_000, range: 100...3_600_000))
            forward.readTimeout = .milliseconds(try fw.int("read_timeout_ms", default: 10_000, range: 100...3_600_000))
            forward.batchMaxBytes = try fw.int("batch_max_kb", default: 1024, range: 1...65_536) << 10
            forward.linger = .milliseconds(try fw.int("linger_ms", default: 20, range: 0...60_000))
            try fw.finish()
        }

        var readers: [Reader] = []
        var readerIDs = Set<String>()
        for r in try top.tableArray("reader") {
            let id = try validID(r, "id", example: "wedge0")
            guard readerIDs.insert(id).inserted else {
                throw .invalid(key: r.key("id"), problem: "'\(id)' is used by another reader", fix: "give every [[reader]] its own id")
            }
            readers.append(try parseReader(r, id: id, resolve: resolve))
        }

        var schemas: [Schema] = []
        for s in try top.tableArray("schema") {
            let name = try validID(s, "name", example: "acme-asset")
            let decodedFormat = try s.string("decoded")
            if let f = decodedFormat, !["gs1", "epc", "em4100", "wiegand", "ndef", "text"].contains(f) {
                throw .invalid(key: s.key("decoded"), problem: "unknown format '\(f)'", fix: "use gs1, epc, em4100, wiegand, ndef or text")
            }
            let subjectAI = try s.string("subject_ai")
            if let ai = subjectAI, GS1AITable.entries[ai] == nil {
                throw .invalid(key: s.key("subject_ai"), problem: "'\(ai)' is not a GS1 Application Identifier", fix: "use an AI such as \"01\" (GTIN) or \"8004\" (GIAI)")
            }
            // A schema on decoded content needs no pattern: it matches every scan of that format.
            let pattern = decodedFormat != nil ? try s.string("pattern", default: "(?s).*") : try s.requiredString("pattern", example: "ACME-(?<subject>[0-9]{8})")
            let className = try s.string("class", default: TagClass.subject.rawValue)
            guard let kind = TagClass(rawValue: className) else {
                throw .invalid(key: s.key("class"), problem: "unknown class '\(className)'", fix: "use one of \(TagClass.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let group = try s.string("subject_group", default: "subject")
            do {
                _ = try LabelSchema(name: name, pattern: pattern, kind: kind, subjectGroup: group)
            } catch {
                throw .invalid(key: s.key("pattern"), problem: "not a valid regular expression", fix: "check the pattern's syntax (\(error))")
            }
            let length = try s.int("length", default: 0, range: 0...4096)
            var checkDigit: LabelSchema.CheckDigit?
            if let cd = try s.string("check_digit") {
                guard let parsed = LabelSchema.CheckDigit(rawValue: cd) else {
                    throw .invalid(key: s.key("check_digit"), problem: "unknown check digit '\(cd)'", fix: "use gs1 or luhn")
                }
                checkDigit = parsed
            }
            try s.finish()
            schemas.append(Schema(name: name, pattern: pattern, kind: kind, subjectGroup: group,
                                  length: length == 0 ? nil : length, checkDigit: checkDigit,
                                  decodedFormat: decodedFormat, subjectAI: subjectAI))
        }

        var redact = Redact(siteKeyPath: GatewayConfig.defaultSiteKeyPath, rules: RedactionRule.builtIn)
        if let rd = try top.table("redact") {
            redact = try parseRedact(rd, resolve: resolve)
        }
        var metricsListen: (host: String, port: Int)? = ("127.0.0.1", 9464)
        if let m = try top.table("metrics") {
            let listen = try m.string("listen", default: "127.0.0.1:9464")
            if listen == "off" {
                metricsListen = nil
            } else {
                let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count == 2, let port = Int(parts[1]), (0...65535).contains(port), ["127.0.0.1", "localhost"].contains(String(parts[0])) else {
                    throw .invalid(key: m.key("listen"), problem: "'\(listen)' is not a loopback host:port", fix: "metrics stay on the terminal: use \"127.0.0.1:9464\" (or \"off\")")
                }
                metricsListen = (String(parts[0]), port)
            }
            try m.finish()
        }

        var kiosk: Kiosk? = Kiosk()
        if let k = try top.table("kiosk") {
            let listen = try k.string("listen", default: "127.0.0.1:8470")
            if listen == "off" {
                kiosk = nil
            } else {
                // host:port, [v6]:port
                let host: String, portText: Substring
                if listen.hasPrefix("["), let close = listen.firstIndex(of: "]") {
                    host = String(listen[listen.index(after: listen.startIndex)..<close])
                    portText = listen[listen.index(after: close)...].drop { $0 == ":" }
                } else {
                    let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
                    guard parts.count == 2 else {
                        throw .invalid(key: k.key("listen"), problem: "'\(listen)' is not host:port", fix: "use \"127.0.0.1:8470\" (or \"off\")")
                    }
                    host = String(parts[0])
                    portText = parts[1]
                }
                guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else {
                    throw .invalid(key: k.key("listen"), problem: "'\(listen)' is not host:port", fix: "use \"127.0.0.1:8470\" (or \"off\")")
                }
                var kk = Kiosk(host: host, port: port)
                kk.recent = try k.int("recent", default: 20, range: 1...200)
                kk.followCases = try k.bool("follow_cases", default: true)
                kk.followCapSeconds = try k.int("follow_cap_s", default: 30, range: 2...3600)
                kiosk = kk
            }
            try k.finish()
        }

        var gps: GPS?
        if let g = try top.table("gps") {
            let addr = try g.string("gpsd", default: "127.0.0.1:2947")
            let parts = addr.split(separator: ":")
            guard parts.count == 2, let port = UInt16(parts[1]) else {
                throw .invalid(key: g.key("gpsd"), problem: "'\(addr)' is not host:port", fix: "gpsd listens on \"127.0.0.1:2947\" by default")
            }
            gps = GPS(host: String(parts[0]), port: port,
                      maxAgeSeconds: Double(try g.int("max_age_s", default: 10, range: 1...3600)),
                      maxClockSkewMs: try g.int("max_clock_skew_ms", default: 2000, range: 1...86_400_000))
            try g.finish()
        }
        var operatorSessions: OperatorSettings?
        if let o = try top.table("operator") {
            operatorSessions = OperatorSettings(timeoutSeconds: Double(try o.int("timeout_s", default: 900, range: 10...86_400)),
                                                logoutSubject: try o.string("logout_subject", default: "LOGOUT"))
            try o.finish()
        }
        var geofence: Geofence?
        if let gf = try top.table("geofence") {
            var fence = Geofence()
            if let kmh = try gf.double("max_speed_kmh") { fence.maxSpeedMps = kmh / 3.6 }
            for a in try gf.tableArray("area") {
                if let pts = try a.pairs("polygon") {
                    guard pts.count >= 3 else { throw .invalid(key: a.key("polygon"), problem: "fewer than 3 points", fix: "a polygon needs at least three [lat, lon] points") }
                    fence.areas.append(.polygon(pts))
                } else {
                    guard let lat = try a.double("lat"), let lon = try a.double("lon"), let r = try a.double("radius_m"), r > 0 else {
                        throw .invalid(key: a.key("lat"), problem: "an area is neither a polygon nor a circle", fix: "give polygon = [[lat, lon], ...] or lat, lon and radius_m")
                    }
                    fence.areas.append(.circle(lat: lat, lon: lon, radiusM: r))
                }
                try a.finish()
            }
            try gf.finish()
            geofence = fence
        }

        var heartbeat: Duration? = .seconds(300)
        if let h = try top.table("heartbeat") {
            let interval = try h.int("interval_s", default: 300, range: 0...86_400)
            heartbeat = interval == 0 ? nil : .seconds(interval)
            try h.finish()
        }

        try top.finish()
        var config = GatewayConfig(device: device, server: server, spool: spool, forward: forward, readers: readers, schemas: schemas)
        config.redact = redact
        config.metricsListen = metricsListen
        config.kiosk = kiosk
        config.gps = gps
        config.operatorSessions = operatorSessions
        config.geofence = geofence
        config.heartbeatInterval = heartbeat
        return config
    }

    private static func parseRedact(_ rd: ConfigSection, resolve: (String) -> String) throws(ConfigError) -> Redact {
        let siteKey = resolve(try rd.string("site_key", default: GatewayConfig.defaultSiteKeyPath))
        let builtin = try rd.bool("builtin", default: true)
        var rules: [RedactionRule] = []
        var names = Set<String>()
        for r in try rd.tableArray("rule") {
            let name = try validID(r, "name", example: "national-id")
            guard names.insert(name).inserted else {
                throw .invalid(key: r.key("name"), problem: "'\(name)' names another rule too", fix: "give every [[redact.rule]] its own name: events list the rules that fired by name")
            }
            var detect: [PersonalDataKind] = []
            for d in try r.stringArray("detect") ?? [] {
                guard let k = PersonalDataKind(rawValue: d) else {
                    throw .invalid(key: r.key("detect"), problem: "unknown detector '\(d)'", fix: "use \(PersonalDataKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                detect.append(k)
            }
            let fields = try r.stringArray("fields") ?? []
            guard detect.isEmpty != fields.isEmpty else {
                throw .invalid(key: r.key("detect"), problem: detect.isEmpty ? "the rule selects nothing" : "both detect and fields are set",
                               fix: "give a rule either detect = [...] (personal data in free text) or fields = [...] (values by name)")
            }
            let actionName = try r.requiredString("action", example: "mask")
            let action: RedactionRule.Action
            switch actionName {
            case "mask":
                action = .mask(keepFirst: try r.int("keep_first", default: 0, range: 0...64), keepLast: try r.int("keep_last", default: 4, range: 0...64))
            case "hash": action = .hash
            case "drop": action = .drop
            case "coarsen":
                let timeFields = fields.filter { Glob.matches($0, "captured_at") }
                let locFields = fields.filter { Glob.matches($0, "location") }
                guard detect.isEmpty, fields.count == timeFields.count + locFields.count, timeFields.isEmpty != locFields.isEmpty else {
                    throw .invalid(key: r.key("fields"), problem: "coarsen applies to location or captured_at, one per rule",
                                   fix: "write fields = [\"location\"] with decimals or grid_m, or fields = [\"captured_at\"] with bucket_s")
                }
                if !timeFields.isEmpty {
                    action = .coarsenTime(bucketS: try r.int("bucket_s", default: 900, range: 1...86_400))
                } else {
                    let decimals = try r.int("decimals", default: -1, range: -1...8)
                    let grid = try r.int("grid_m", default: 0, range: 0...100_000)
                    guard (decimals >= 0) != (grid > 0) else {
                        throw .invalid(key: r.key("decimals"), problem: "give exactly one of decimals and grid_m", fix: "e.g. decimals = 3 (≈110 m) or grid_m = 500")
                    }
                    action = .coarsenLocation(decimals: decimals >= 0 ? decimals : nil, gridM: grid > 0 ? Double(grid) : nil)
                }
            default:
                throw .invalid(key: r.key("action"), problem: "unknown action '\(actionName)'", fix: "use mask, hash, drop or coarsen")
            }
            if action == .hash || action.isMask {
                if fields.contains(where: { Glob.matches($0, "captured_at") || Glob.matches($0, "location") }) {
                    throw .invalid(key: r.key("fields"), problem: "location and captured_at are not text: they cannot be masked or hashed",
                                   fix: "coarsen them (action = \"coarsen\"), or drop the location")
                }
            } else if action == .drop, fields.contains(where: { Glob.matches($0, "captured_at") }) {
                throw .invalid(key: r.key("fields"), problem: "captured_at cannot be dropped", fix: "coarsen it: action = \"coarsen\" with bucket_s")
            }
            try r.finish()
            rules.append(RedactionRule(name: name, detect: detect, fields: fields, action: action))
        }
        try rd.finish()
        return Redact(siteKeyPath: siteKey, rules: rules + (builtin ? RedactionRule.builtIn : []))
    }

    private static func parseReader(_ r: ConfigSection, id: String, resolve: (String) -> String) throws(ConfigError) -> Reader {
        let kindName = try r.requiredString("kind", example: "serial")
        let path = try r.string("path").map(resolve)
        var match: DeviceMatch?
        if let m = try r.table("match") {
            var dm = DeviceMatch()
            dm.vendor = try hexID(m, "vendor")
            dm.product = try hexID(m, "product")
            dm.serial = try m.string("serial")
            dm.name = try m.string("name")
            try m.finish()
            guard !dm.isEmpty else {
                throw .invalid(key: m.path, problem: "empty rule", fix: "give at least one of vendor, product, serial, name")
            }
            match = dm
        }
        let kind: Reader.Kind
        switch kindName {
        case "line":
            guard path != nil else {
                throw .invalid(key: r.key("path"), problem: "missing", fix: "a line reader needs path = \"/run/gatewayd/scan.fifo\" (or \"-\" for stdin)")
            }
            guard match == nil else {
                throw .invalid(key: r.key("match"), problem: "a line reader has no device to match", fix: "remove [reader.match]")
            }
            kind = .line
        case "serial":
            let baud = try r.int("baud", default: 9600, range: 50...4_000_000)
            guard supportedBauds.contains(baud) else {
                throw .invalid(key: r.key("baud"), problem: "\(baud) is not a standard rate", fix: "use one of \(supportedBauds.map(String.init).joined(separator: ", "))")
            }
            let framingName = try r.string("framing", default: "line")
            let framing: SerialFraming
            switch framingName {
            case "line": framing = .lines
            case "em4100": framing = .em4100
            case "stx-etx":
                var o = BinaryFramer.Options()
                o.stx = UInt8(try r.int("stx", default: 0x02, range: 0...255))
                o.etx = UInt8(try r.int("etx", default: 0x03, range: 0...255))
                o.lengthByte = try r.bool("length_byte", default: false)
                let cs = try r.string("checksum", default: "none")
                guard let c = BinaryFramer.Checksum(rawValue: cs) else {
                    throw .invalid(key: r.key("checksum"), problem: "unknown checksum '\(cs)'", fix: "use one of \(BinaryFramer.Checksum.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                o.checksum = c
                o.maxLength = try r.int("max_frame", default: 256, range: 1...65_536)
                framing = .stxEtx(o)
            default:
                throw .invalid(key: r.key("framing"), problem: "unknown framing '\(framingName)'", fix: "use \"line\", \"em4100\" or \"stx-etx\"")
            }
            kind = .serial(baud: baud, framing: framing)
        case "evdev":
            let layout = try r.string("layout", default: "us")
            guard KeyboardLayout.named(layout) != nil else {
                throw .invalid(key: r.key("layout"), problem: "unknown layout '\(layout)'", fix: "use one of us, uk, de, fr")
            }
            var keys = KeyDecoder.Options()
            let term = try r.string("terminator", default: "enter")
            guard let t = KeyDecoder.Terminator(rawValue: term) else {
                throw .invalid(key: r.key("terminator"), problem: "unknown terminator '\(term)'", fix: "use \"enter\", \"tab\" or \"none\"")
            }
            keys.terminator = t
            keys.gapMicros = UInt64(try r.int("gap_ms", default: 50, range: 1...10_000)) * 1000
            keys.stallMicros = UInt64(try r.int("stall_ms", default: 1000, range: 10...60_000)) * 1000
            keys.prefix = try r.string("prefix", default: "")
            keys.suffix = try r.string("suffix", default: "")
            let grab = try r.bool("grab", default: true)
            kind = .evdev(layout: layout, keys: keys, grab: grab)
        case "hidraw":
            kind = .hidraw
        case "camera":
            kind = .camera(width: try r.int("width", default: 640, range: 160...3840),
                           height: try r.int("height", default: 480, range: 120...2160))
        default:
            throw .invalid(key: r.key("kind"), problem: "unknown reader kind '\(kindName)'", fix: "use \"serial\", \"evdev\", \"hidraw\", \"camera\" or \"line\" (FIFO, pipe, stdin)")
        }
        if kindName != "line" && path == nil && match == nil {
            throw .invalid(key: r.key("path"), problem: "neither path nor [reader.match] is given", fix: "set path = \"/dev/...\" or add a [reader.match] rule (vendor, product, serial, name)")
        }
        let maxLine = try r.int("max_line", default: 4096, range: 16...1_048_576)
        var role: TagClass?
        if let roleName = try r.string("role") {
            guard let t = TagClass(rawValue: roleName), t != .unknown else {
                throw .invalid(key: r.key("role"), problem: "unknown role '\(roleName)'", fix: "use subject, operator or config")
            }
            role = t
        }
        var hint: TagDecoder.Hint = .auto
        if case .serial(_, .em4100) = kind { hint = .em4100 }
        if let h = try r.string("decode") {
            guard let parsed = TagDecoder.Hint(rawValue: h) else {
                throw .invalid(key: r.key("decode"), problem: "unknown decoder '\(h)'", fix: "use one of \(TagDecoder.Hint.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            hint = parsed
        }
        // A camera sees a code in frame after frame: by default one scan per 2 s.
        var defaultDedup = 0
        if case .camera = kind { defaultDedup = 2000 }
        let dedup = try r.int("dedup_ms", default: defaultDedup, range: 0...3_600_000)
        try r.finish()
        var reader = Reader(id: id, kind: kind, path: path, match: match, maxLine: maxLine, role: role)
        reader.decode = hint
        reader.dedupMillis = dedup
        if case .evdev(let layout, var keys, let grab) = kind {
            keys.maxLength = maxLine
            reader.kind = .evdev(layout: layout, keys: keys, grab: grab)
        }
        return reader
    }

    private static func hexID(_ s: ConfigSection, _ k: String) throws(ConfigError) -> UInt16? {
        guard let text = try s.string(k) else { return nil }
        let digits = text.lowercased().hasPrefix("0x") ? String(text.dropFirst(2)) : text
        guard digits.count == 4, let v = UInt16(digits, radix: 16) else {
            throw .invalid(key: s.key(k), problem: "'\(text)' is not a 4-digit hex USB id", fix: "write it as lsusb shows it, e.g. \(k) = \"05e0\"")
        }
        return v
    }

    /// Ids travel in envelopes, file names and metrics labels: keep them to a safe alphabet.
    private static func validID(_ s: ConfigSection, _ k: String, example: String) throws(ConfigError) -> String {
        let id = try s.requiredString(k, example: example)
        guard isValidID(id) else {
            throw .invalid(key: s.key(k), problem: "'\(id)' has characters other than letters, digits, '.', '_' and '-' or is longer than 64", fix: "use e.g. \(k) = \"\(example)\"")
        }
        return id
    }

    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64 && id.first != "." && id.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x2E || $0 == 0x5F
        }
    }

    /// Per reader decode hints, for the capture sealer.
    public var decodeHints: [String: TagDecoder.Hint] {
        var h: [String: TagDecoder.Hint] = [:]
        for r in readers where r.decode != .auto { h[r.id] = r.decode }
        return h
    }

    /// The label schemas compiled for the classifier, with the readers' roles.
    public func makeClassifier() throws -> TagClassifier {
        var roles: [String: TagClass] = [:]
        for r in readers { if let role = r.role { roles[r.id] = role } }
        return TagClassifier(schemas: try schemas.map { try LabelSchema(name: $0.name, pattern: $0.pattern, kind: $0.kind, subjectGroup: $0.subjectGroup, length: $0.length, checkDigit: $0.checkDigit, decodedFormat: $0.decodedFormat, subjectAI: $0.subjectAI) },
                             readerRoles: roles)
    }
}
