import GatewayCore

/// The sites the pages know of and which site a terminal belongs to: the policy's `[[site]]`
/// tables (the console core's `CasePolicy.site(forDevice:)`), handed to the pages as a value so
/// they work, and are tested, without a policy that has sites.
public struct ConsolePageSites: Sendable {
    /// The filter value of cases whose terminal is in no site.
    public static let unassigned = "-"

    public struct Site: Sendable, Equatable {
        public var id: String
        public var name: String
        /// Its geofence: where its terminals are expected to scan.
        public var areas: [Geofence.Area]

        public init(id: String, name: String, areas: [Geofence.Area] = []) {
            self.id = id
            self.name = name
            self.areas = areas
        }
    }

    public var all: [Site]
    public var forDevice: @Sendable (String) -> Site?

    public init(all: [Site] = [], forDevice: @escaping @Sendable (String) -> Site? = { _ in nil }) {
        self.all = all
        self.forDevice = forDevice
    }

    /// The policy's `[[site]]` tables.
    public init(policy: CasePolicy) {
        let sites = policy.sites.map { Site(id: $0.id, name: $0.name, areas: $0.geofence.areas) }
        self.init(
            all: sites,
            forDevice: { device in policy.site(forDevice: device).flatMap { s in sites.first { $0.id == s.id } } }
        )
    }
}
