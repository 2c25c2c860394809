extension GatewayConfig {
    /// `[spool]`: where scans wait for the server, and how much of the disk they may take.
    public struct Spool: Sendable, Equatable {
        public static let defaultPath = "/var/lib/gatewayd/spool.db"

        public var path: String = Spool.defaultPath
        /// Defaults in `SpoolLimits.init`.
        public var limits = SpoolLimits()

        public init(path: String = Spool.defaultPath, limits: SpoolLimits = SpoolLimits()) {
            self.path = path
            self.limits = limits
        }

        /// - Parameter directory: the config file's, for a relative `path`.
        public static func parse(_ s: ConfigSection, directory: String) throws(ConfigError) -> Spool {
            var spool = Spool()
            spool.path = try s.filePath("path", default: defaultPath, relativeTo: directory)
            let defaults = SpoolLimits()
            spool.limits.maxEnvelopes = try s.int(
                "max_envelopes",
                default: defaults.maxEnvelopes,
                range: 1...100_000_000
            )
            spool.limits.maxBytes = try s.int("max_mb", default: defaults.maxBytes >> 20, range: 1...1_000_000) << 20
            let overflow = try s.string("overflow", default: defaults.overflow.rawValue)
            guard let policy = SpoolLimits.Overflow(rawValue: overflow) else {
                throw .invalid(
                    key: s.key("overflow"),
                    problem: "unknown policy '\(overflow)'",
                    fix: "use \"block\" (readers wait)"
                        + " or \"drop_oldest\" (oldest envelopes deleted, counted and logged)"
                )
            }
            spool.limits.overflow = policy
            try s.finish()
            return spool
        }
    }
}
