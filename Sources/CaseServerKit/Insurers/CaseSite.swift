import GatewayCore

/// A place terminals stand (`[[site]]` in the policy): which devices belong to it, and
/// optionally the area they are expected in, in gatewayd's `[[geofence.area]]` form. A case's
/// site is that of the device that opened it (`CasePolicy.site(forDevice:)`); handlers are given
/// the sites whose cases they work.
///
///     [[site]]
///     id = "depot-a"
///     name = "Depot A"
///     devices = ["term-a-*"]          # globs over device ids
///     [[site.area]]                    # optional, as gatewayd's [[geofence.area]]
///     lat = 31.23
///     lon = 121.47
///     radius_m = 300
public struct CaseSite: Sendable, Equatable {
    public var id: String
    public var name: String
    public var devices: [String]
    /// The site's areas (`geofence.areas`); empty when none were given.
    public var geofence: Geofence

    /// The site id of a case whose device belongs to no site.
    public static let unassigned = "unassigned"

    public init(id: String, name: String, devices: [String], geofence: Geofence = Geofence()) {
        self.id = id
        self.name = name
        self.devices = devices
        self.geofence = geofence
    }

    public func contains(device: String) -> Bool { devices.contains { Glob.matches($0, device) } }

    static func parse(_ t: ConfigSection, known: [CaseSite]) throws(ConfigError) -> CaseSite {
        let id = try t.requiredString("id", example: "depot-a")
        guard GatewayConfig.isValidID(id), id != unassigned else {
            throw .invalid(
                key: t.key("id"),
                problem: "'\(id)' is not a site id",
                fix: "use letters, digits, '.', '_' and '-' (and not \"\(unassigned)\")"
            )
        }
        guard !known.contains(where: { $0.id == id }) else {
            throw .invalid(
                key: t.key("id"),
                problem: "'\(id)' is used by another site",
                fix: "give every [[site]] its own id"
            )
        }
        let name = try t.string("name", default: id)
        guard let devices = try t.stringArray("devices"), !devices.isEmpty else {
            throw .invalid(
                key: t.key("devices"),
                problem: "missing",
                fix: "name the site's terminals, e.g. devices = [\"term-a-*\"]"
            )
        }
        // The areas are read by gatewayd's own [geofence] parser, which also finishes the table
        // (a misspelt key is reported); a speed limit is a terminal's setting, not a site's.
        let fence = try Geofence.parse(t)
        guard fence.maxSpeedMps == nil else {
            throw .invalid(
                key: t.key("max_speed_kmh"),
                problem: "a site has no speed limit",
                fix: "set max_speed_kmh in the terminals' [geofence]"
            )
        }
        return CaseSite(id: id, name: name, devices: devices, geofence: fence)
    }
}
