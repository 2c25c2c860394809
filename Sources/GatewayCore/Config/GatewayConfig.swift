import Foundation

/// gatewayd's configuration (TOML), validated completely at start so that a terminal with a
/// broken file fails at once with a message naming the key, not later at the first scan.
///
/// Each table has its own type with its own parser and its defaults (`GatewayConfig.Forward`
/// for `[forward]`, …); relative paths are resolved against the directory of the config file.
/// `docs/configuration.md` lists every key with its default and range;
/// `gatewayd.example.toml` is a commented sample.
public struct GatewayConfig: Sendable, Equatable {
    public static let defaultPath = "/etc/gatewayd/gatewayd.toml"
    /// `[redact] site_key` when not given.
    public static let defaultSiteKeyPath = Redact.defaultSiteKeyPath

    public var device: Device
    public var server: Server
    public var spool = Spool()
    public var forward = Forward()
    public var readers: [Reader] = []
    public var schemas: [Schema] = []
    public var redact = Redact()
    /// `[gps]`: nil = no gpsd (events carry no location).
    public var gps: GPS?
    /// `[operator]`: sessions from badge taps; nil = not tracked.
    public var operatorSessions: OperatorSettings?
    /// `[geofence]`: areas and the fastest plausible movement; nil = no checks.
    public var geofence: Geofence?
    /// `[heartbeat] interval_s`: a sealed status report this often; nil = off.
    public var heartbeatInterval: Duration? = Heartbeat.defaultInterval
    /// `[metrics] listen`: host and port of the Prometheus endpoint (loopback only); nil = off.
    public var metricsListen: HostPort? = Metrics.defaultListen
    /// `[kiosk]`: the feedback page for the person at the terminal (docs/kiosk.md); nil = off.
    public var kiosk: Kiosk? = Kiosk()

    public init(device: Device, server: Server) {
        self.device = device
        self.server = server
    }

    /// Reads the top table and hands each table to its section's parser, in the order below
    /// (so the first error reported is the same one every time).
    /// - Parameter directory: where the file lives, for relative paths.
    public static func parse(toml text: String, directory: String) throws(ConfigError) -> GatewayConfig {
        let top = try ConfigSection.parse(text)
        guard let device = try top.table("device") else {
            throw .invalid(key: "device", problem: "missing", fix: "add a [device] table with id = \"...\"")
        }
        let dev = try Device.parse(device, directory: directory)
        guard let server = try top.table("server") else {
            throw .invalid(key: "server", problem: "missing", fix: "add a [server] table with url = \"https://...\"")
        }
        var config = GatewayConfig(device: dev, server: try Server.parse(server, directory: directory))
        if let s = try top.table("spool") { config.spool = try Spool.parse(s, directory: directory) }
        if let s = try top.table("forward") { config.forward = try Forward.parse(s) }
        config.readers = try Reader.parse(top.tableArray("reader"), directory: directory)
        config.schemas = try Schema.parse(top.tableArray("schema"))
        if let s = try top.table("redact") { config.redact = try Redact.parse(s, directory: directory) }
        if let s = try top.table("metrics") { config.metricsListen = try Metrics.parse(s).listen }
        if let s = try top.table("kiosk") { config.kiosk = try Kiosk.parse(s) }
        if let s = try top.table("gps") { config.gps = try GPS.parse(s) }
        if let s = try top.table("operator") { config.operatorSessions = try OperatorSettings.parse(s) }
        if let s = try top.table("geofence") { config.geofence = try Geofence.parse(s) }
        if let s = try top.table("heartbeat") { config.heartbeatInterval = try Heartbeat.parse(s).interval }
        try top.finish()
        return config
    }

    /// Ids travel in envelopes, file names and metrics labels: letters, digits, '.', '_' and
    /// '-', not starting with '.', at most 64 bytes.
    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64 && id.first != "."
            && id.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D
                    || $0 == 0x2E || $0 == 0x5F
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
        return TagClassifier(schemas: try schemas.map { try $0.compiled() }, readerRoles: roles)
    }
}
