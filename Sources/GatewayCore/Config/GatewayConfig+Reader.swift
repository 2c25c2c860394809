extension GatewayConfig {
    /// `[[reader]]`: one scanner or badge reader and how to read it.
    public struct Reader: Sendable, Equatable {
        public static let supportedBauds: [Int] = [
            1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600,
        ]
        public static let defaultBaud = 9600
        public static let defaultLayout = "us"
        public static let defaultMaxLine = 4096
        public static let defaultCameraWidth = 640
        public static let defaultCameraHeight = 480
        /// A camera sees a code in frame after frame: by default one scan per 2 s.
        public static let defaultCameraDedupMillis = 2000
        /// Well above any person with a scanner or RFID portal: more scans a second than this,
        /// for `defaultFloodSeconds` seconds in a row, is a reader producing noise.
        public static let defaultFloodRate = 500
        public static let defaultFloodSeconds = 2

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
            /// A contactless reader (PC/SC, or PN533/ACR122U over libusb): one tap, one scan.
            case nfc(NFC)
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
        /// When the reader floods (`FloodMonitor`): more than `rate` scans a second for `seconds`.
        public var flood = FloodMonitor.Settings(rate: defaultFloodRate, seconds: defaultFloodSeconds)

        public init(
            id: String,
            kind: Kind,
            path: String?,
            match: DeviceMatch? = nil,
            maxLine: Int,
            role: TagClass? = nil
        ) {
            self.id = id
            self.kind = kind
            self.path = path
            self.match = match
            self.maxLine = maxLine
            self.role = role
        }

        /// Whether the reader's framing expects text, so that a line which cannot be text is
        /// noise (`TextNoise`): lines from a FIFO or a serial line framing and a keyboard
        /// wedge's keys — unless `decode` says the bytes are EPC or NDEF, which are binary.
        /// Binary frames, HID POS reports and a camera's codes are data whatever their bytes.
        public var framesText: Bool {
            guard decode != .epc && decode != .ndef else { return false }
            switch kind {
            case .line, .serial(_, .lines), .evdev: return true
            case .serial, .hidraw, .camera, .nfc: return false
            }
        }

        /// The kernel subsystem whose devices this reader uses.
        public var subsystem: String? {
            switch kind {
            case .line: return nil
            case .serial: return "tty"
            case .evdev: return "input"
            case .hidraw: return "hidraw"
            case .camera: return "video4linux"
            case .nfc(let n):
                if case .usb = n.backend { return "usb" }
                return nil
            }
        }

        /// All `[[reader]]` tables; ids must differ (they name readers in events and metrics).
        /// - Parameter directory: the config file's, for relative paths.
        public static func parse(_ sections: [ConfigSection], directory: String) throws(ConfigError) -> [Reader] {
            var readers: [Reader] = []
            var ids = Set<String>()
            for r in sections {
                let id = try r.id("id", example: "wedge0")
                guard ids.insert(id).inserted else {
                    throw .invalid(
                        key: r.key("id"),
                        problem: "'\(id)' is used by another reader",
                        fix: "give every [[reader]] its own id"
                    )
                }
                readers.append(try parse(r, id: id, directory: directory))
            }
            return readers
        }

        /// One `[[reader]]` table whose `id` the caller has read.
        static func parse(_ r: ConfigSection, id: String, directory: String) throws(ConfigError) -> Reader {
            let kindName = try r.requiredString("kind", example: "serial")
            let path = try r.filePath("path", relativeTo: directory)
            let match = try r.table("match").map { m throws(ConfigError) in try DeviceMatch.parse(m) }
            let kind = try parseKind(kindName, r, path: path, match: match)
            if kindName != "line" && kindName != "nfc" && path == nil && match == nil {
                throw .invalid(
                    key: r.key("path"),
                    problem: "neither path nor [reader.match] is given",
                    fix: "set path = \"/dev/...\" or add a [reader.match] rule (vendor, product, serial, name)"
                )
            }
            let maxLine = try r.int("max_line", default: defaultMaxLine, range: 16...1_048_576)
            var role: TagClass?
            if let roleName = try r.string("role") {
                guard let t = TagClass(rawValue: roleName), t != .unknown else {
                    throw .invalid(
                        key: r.key("role"),
                        problem: "unknown role '\(roleName)'",
                        fix: "use subject, operator or config"
                    )
                }
                role = t
            }
            var hint: TagDecoder.Hint = .auto
            if case .serial(_, .em4100) = kind { hint = .em4100 }
            if let h = try r.string("decode") {
                guard let parsed = TagDecoder.Hint(rawValue: h) else {
                    throw .invalid(
                        key: r.key("decode"),
                        problem: "unknown decoder '\(h)'",
                        fix: "use one of \(TagDecoder.Hint.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                hint = parsed
            }
            var defaultDedup = 0
            if case .camera = kind { defaultDedup = defaultCameraDedupMillis }
            let dedup = try r.int("dedup_ms", default: defaultDedup, range: 0...3_600_000)
            let floodRate = try r.int("flood_rate", default: defaultFloodRate, range: 1...1_000_000)
            let floodSeconds = try r.int("flood_seconds", default: defaultFloodSeconds, range: 1...3600)
            try r.finish()
            var reader = Reader(id: id, kind: kind, path: path, match: match, maxLine: maxLine, role: role)
            reader.decode = hint
            reader.dedupMillis = dedup
            reader.flood = FloodMonitor.Settings(rate: floodRate, seconds: floodSeconds)
            if case .evdev(let layout, var keys, let grab) = kind {
                keys.maxLength = maxLine
                reader.kind = .evdev(layout: layout, keys: keys, grab: grab)
            }
            return reader
        }

        /// `kind` and the keys that belong to it.
        private static func parseKind(
            _ name: String,
            _ r: ConfigSection,
            path: String?,
            match: DeviceMatch?
        ) throws(ConfigError) -> Kind {
            switch name {
            case "line":
                guard path != nil else {
                    throw .invalid(
                        key: r.key("path"),
                        problem: "missing",
                        fix: "a line reader needs path = \"/run/gatewayd/scan.fifo\" (or \"-\" for stdin)"
                    )
                }
                guard match == nil else {
                    throw .invalid(
                        key: r.key("match"),
                        problem: "a line reader has no device to match",
                        fix: "remove [reader.match]"
                    )
                }
                return .line
            case "serial":
                let baud = try r.int("baud", default: defaultBaud, range: 50...4_000_000)
                guard supportedBauds.contains(baud) else {
                    throw .invalid(
                        key: r.key("baud"),
                        problem: "\(baud) is not a standard rate",
                        fix: "use one of \(supportedBauds.map(String.init).joined(separator: ", "))"
                    )
                }
                return .serial(baud: baud, framing: try SerialFraming.parse(r))
            case "evdev":
                return try parseEvdev(r)
            case "hidraw":
                return .hidraw
            case "nfc":
                let nfc = try NFC.parse(r, path: path)
                if case .pcsc = nfc.backend, match != nil {
                    throw .invalid(
                        key: r.key("match"),
                        problem: "a PC/SC reader is chosen by its name",
                        fix: "remove [reader.match] and set reader = \"ACS ACR122U*\" (a glob over PC/SC reader names)"
                    )
                }
                return .nfc(nfc)
            case "camera":
                return .camera(
                    width: try r.int("width", default: defaultCameraWidth, range: 160...3840),
                    height: try r.int("height", default: defaultCameraHeight, range: 120...2160)
                )
            default:
                throw .invalid(
                    key: r.key("kind"),
                    problem: "unknown reader kind '\(name)'",
                    fix: "use \"serial\", \"evdev\", \"hidraw\", \"camera\", \"nfc\" or \"line\" (FIFO, pipe, stdin)"
                )
            }
        }

        /// A keyboard wedge: its layout and how its keys make scans (defaults in `KeyDecoder.Options`).
        private static func parseEvdev(_ r: ConfigSection) throws(ConfigError) -> Kind {
            let layout = try r.string("layout", default: defaultLayout)
            guard KeyboardLayout.named(layout) != nil else {
                throw .invalid(
                    key: r.key("layout"),
                    problem: "unknown layout '\(layout)'",
                    fix: "use one of us, uk, de, fr"
                )
            }
            var keys = KeyDecoder.Options()
            let term = try r.string("terminator", default: keys.terminator.rawValue)
            guard let t = KeyDecoder.Terminator(rawValue: term) else {
                throw .invalid(
                    key: r.key("terminator"),
                    problem: "unknown terminator '\(term)'",
                    fix: "use \"enter\", \"tab\" or \"none\""
                )
            }
            keys.terminator = t
            keys.gapMicros = UInt64(try r.int("gap_ms", default: Int(keys.gapMicros / 1000), range: 1...10_000)) * 1000
            keys.stallMicros =
                UInt64(try r.int("stall_ms", default: Int(keys.stallMicros / 1000), range: 10...60_000)) * 1000
            keys.prefix = try r.string("prefix", default: keys.prefix)
            keys.suffix = try r.string("suffix", default: keys.suffix)
            let grab = try r.bool("grab", default: true)
            return .evdev(layout: layout, keys: keys, grab: grab)
        }
    }
}
