extension GatewayConfig {
    /// `[gps]`: where gpsd listens and how old a fix may be.
    public struct GPS: Sendable, Equatable {
        public static let defaultGpsd = HostPort(host: "127.0.0.1", port: 2947)
        public static let defaultMaxAgeSeconds: Double = 10
        public static let defaultMaxClockSkewMs = 2000

        /// gpsd's address (libgps resolves the host).
        public var gpsd = GPS.defaultGpsd
        /// `gpsd = "shm"`: read gpsd's shared-memory export instead of its socket, for a gpsd on
        /// the terminal itself (no socket, no JSON; but no release or device list either).
        public var sharedMemory = false
        /// An older fix is not a location.
        public var maxAgeSeconds = GPS.defaultMaxAgeSeconds
        /// How far the system clock may be from GPS time before it is reported.
        public var maxClockSkewMs = GPS.defaultMaxClockSkewMs

        public init() {}

        public var host: String { gpsd.host }
        public var port: UInt16 { UInt16(gpsd.port) }

        public static func parse(_ s: ConfigSection) throws(ConfigError) -> GPS {
            var gps = GPS()
            if try s.string("gpsd") == "shm" {
                gps.sharedMemory = true
            } else {
                gps.gpsd = try s.hostPort(
                    "gpsd",
                    default: defaultGpsd,
                    fix: "gpsd listens on \"\(defaultGpsd)\" by default"
                )
            }
            gps.maxAgeSeconds = Double(try s.int("max_age_s", default: Int(defaultMaxAgeSeconds), range: 1...3600))
            gps.maxClockSkewMs = try s.int("max_clock_skew_ms", default: defaultMaxClockSkewMs, range: 1...86_400_000)
            try s.finish()
            return gps
        }
    }
}
