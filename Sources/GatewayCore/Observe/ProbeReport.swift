/// What `gatewayd --probe` found, as printed with `--json`. The schema is
/// `docs/probe.schema.json` (JSON Schema 2020-12); `schema` names its version, and fields are
/// only ever added within a version, so a fleet tool can read reports from older terminals.
///
/// Each check is ok / warn / fail with a one-line `detail` that says what to do; `lines` adds
/// indented detail for the table (one per device, certificate, …); the typed facts beside it
/// are for machines. `ok` is false when any check failed: scans could not be delivered.
public struct ProbeReport: Codable, Sendable, Equatable {
    public static let schemaVersion = "gatewayd-probe/1"

    public var schema: String
    public var version: String
    public var ok: Bool
    public var checks: [ProbeCheck]

    public init(version: String, checks: [ProbeCheck]) {
        schema = Self.schemaVersion
        self.version = version
        self.checks = checks
        ok = !checks.contains { $0.status == .fail }
    }

    /// The table a technician reads: one line per check, indented lines under it.
    public var table: String {
        let width = (checks.map(\.name.count).max() ?? 5) + 2
        var out: [String] = []
        for c in checks {
            out.append(
                c.name.padding(toLength: width, withPad: " ", startingAt: 0)
                    + c.status.rawValue.uppercased().padding(toLength: 6, withPad: " ", startingAt: 0) + c.detail
            )
            for l in c.lines ?? [] { out.append(String(repeating: " ", count: width + 6) + l) }
        }
        out.append(ok ? "probe: scans can be delivered" : "probe: FAILED — fix the lines marked FAIL")
        return out.joined(separator: "\n")
    }
}

public struct ProbeCheck: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case ok, warn, fail }

    public var name: String
    public var status: Status
    public var detail: String
    public var lines: [String]?
    public var reader: ReaderFacts?
    public var gpsd: GPSDFacts?
    public var server: ServerFacts?
    public var spool: SpoolFacts?
    public var usb: USBBusFacts?
    public var warnings: [String]?

    public init(name: String, status: Status, detail: String, lines: [String]? = nil) {
        self.name = name
        self.status = status
        self.detail = detail
        self.lines = lines
    }

    /// The worst of two statuses.
    public static func worst(_ a: Status, _ b: Status) -> Status {
        let rank: [Status: Int] = [.ok: 0, .warn: 1, .fail: 2]
        return rank[a]! >= rank[b]! ? a : b
    }

    public struct ReaderFacts: Codable, Sendable, Equatable {
        public var id: String
        public var kind: String
        public var path: String?
        public var rule: String?
        public var devices: [DeviceFacts]
        /// What the running daemon says of the reader (`readers.json`); nil without a daemon,
        /// or before the reader flooded or read noise.
        public var health: ReaderHealth?

        public init(id: String, kind: String, path: String?, rule: String?, devices: [DeviceFacts]) {
            self.id = id
            self.kind = kind
            self.path = path
            self.rule = rule
            self.devices = devices
        }
    }

    public struct DeviceFacts: Codable, Sendable, Equatable {
        public var devnode: String
        public var usb: String?
        public var serial: String?
        public var name: String?
        public var driver: String?
        /// e.g. "crw-rw---- root:plugdev".
        public var mode: String?
        /// "rw", "r", "w" or "none": what the service user may do with the node.
        public var access: String?
        /// What the reader needs ("r" or "rw").
        public var needs: String
        public var matched: Bool
        /// Why the reader's rule did not select this device.
        public var whyNot: String?

        enum CodingKeys: String, CodingKey {
            case devnode, usb, serial, name, driver, mode, access, needs, matched
            case whyNot = "why_not"
        }

        public init(
            devnode: String,
            usb: String?,
            serial: String?,
            name: String?,
            driver: String?,
            mode: String?,
            access: String?,
            needs: String,
            matched: Bool,
            whyNot: String?
        ) {
            self.devnode = devnode
            self.usb = usb
            self.serial = serial
            self.name = name
            self.driver = driver
            self.mode = mode
            self.access = access
            self.needs = needs
            self.matched = matched
            self.whyNot = whyNot
        }
    }

    public struct GPSDFacts: Codable, Sendable, Equatable {
        public var address: String
        public var reachable: Bool
        public var release: String?
        public var devices: [String]
        /// "3d", "2d" or "none" after the fix policy.
        public var fix: String
        public var ageS: Double?
        public var satellites: Int?
        public var accuracyM: Double?
        public var clockSkewMs: Int64?

        enum CodingKeys: String, CodingKey {
            case address, reachable, release, devices, fix, satellites
            case ageS = "age_s"
            case accuracyM = "accuracy_m"
            case clockSkewMs = "clock_skew_ms"
        }

        public init(
            address: String,
            reachable: Bool,
            release: String? = nil,
            devices: [String] = [],
            fix: String = "none",
            ageS: Double? = nil,
            satellites: Int? = nil,
            accuracyM: Double? = nil,
            clockSkewMs: Int64? = nil
        ) {
            self.address = address
            self.reachable = reachable
            self.release = release
            self.devices = devices
            self.fix = fix
            self.ageS = ageS
            self.satellites = satellites
            self.accuracyM = accuracyM
            self.clockSkewMs = clockSkewMs
        }
    }

    public struct CertificateFacts: Codable, Sendable, Equatable {
        public var subject: String
        public var notAfter: String
        public var daysLeft: Int
        /// RFC 7469 pin-sha256 of the certificate's key, for `[server] pin_sha256`.
        public var pinSHA256: String?

        enum CodingKeys: String, CodingKey {
            case subject
            case notAfter = "not_after"
            case daysLeft = "days_left"
            case pinSHA256 = "pin_sha256"
        }

        public init(subject: String, notAfter: String, daysLeft: Int, pinSHA256: String?) {
            self.subject = subject
            self.notAfter = notAfter
            self.daysLeft = daysLeft
            self.pinSHA256 = pinSHA256
        }
    }

    public struct ServerFacts: Codable, Sendable, Equatable {
        public var url: String
        public var addresses: [String]
        /// Connect, TLS handshake, request and answer of the probe exchange.
        public var roundTripMs: Int?
        public var chain: [CertificateFacts]
        public var httpStatus: Int?
        public var clockSkewMs: Int64?
        /// How far the true offset may be from `clockSkewMs` (half the exchange plus the Date's second).
        public var clockSkewUncertaintyMs: Int64?
        public var serverKeyIDs: [String]?
        /// What the server said about the sealed probe envelope: "accepted" or its reason.
        public var probeEnvelope: String?

        enum CodingKeys: String, CodingKey {
            case url, addresses, chain
            case roundTripMs = "round_trip_ms"
            case httpStatus = "http_status"
            case clockSkewMs = "clock_skew_ms"
            case clockSkewUncertaintyMs = "clock_skew_uncertainty_ms"
            case serverKeyIDs = "server_key_ids"
            case probeEnvelope = "probe_envelope"
        }

        public init(
            url: String,
            addresses: [String] = [],
            roundTripMs: Int? = nil,
            chain: [CertificateFacts] = [],
            httpStatus: Int? = nil,
            clockSkewMs: Int64? = nil,
            serverKeyIDs: [String]? = nil,
            probeEnvelope: String? = nil
        ) {
            self.url = url
            self.addresses = addresses
            self.roundTripMs = roundTripMs
            self.chain = chain
            self.httpStatus = httpStatus
            self.clockSkewMs = clockSkewMs
            self.serverKeyIDs = serverKeyIDs
            self.probeEnvelope = probeEnvelope
        }
    }

    public struct SpoolFacts: Codable, Sendable, Equatable {
        public var path: String
        public var depth: Int
        public var bytes: Int
        public var oldestAgeS: Int?
        public var deadLetters: Int
        public var droppedTotal: Int
        public var freeMB: Int?

        enum CodingKeys: String, CodingKey {
            case path, depth, bytes
            case oldestAgeS = "oldest_age_s"
            case deadLetters = "dead_letters"
            case droppedTotal = "dropped_total"
            case freeMB = "free_mb"
        }

        public init(
            path: String,
            depth: Int,
            bytes: Int,
            oldestAgeS: Int?,
            deadLetters: Int,
            droppedTotal: Int,
            freeMB: Int?
        ) {
            self.path = path
            self.depth = depth
            self.bytes = bytes
            self.oldestAgeS = oldestAgeS
            self.deadLetters = deadLetters
            self.droppedTotal = droppedTotal
            self.freeMB = freeMB
        }
    }
}
