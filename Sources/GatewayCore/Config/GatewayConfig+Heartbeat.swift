extension GatewayConfig {
    /// `[heartbeat]`: a sealed status report at this interval, so the case server can tell
    /// that the terminal is alive.
    public struct Heartbeat: Sendable, Equatable {
        public static let defaultInterval: Duration = .seconds(300)

        /// nil = off (`interval_s = 0`).
        public var interval: Duration? = Heartbeat.defaultInterval

        public init(interval: Duration? = Heartbeat.defaultInterval) {
            self.interval = interval
        }

        public static func parse(_ s: ConfigSection) throws(ConfigError) -> Heartbeat {
            let seconds = try s.int("interval_s", default: Int(defaultInterval.components.seconds), range: 0...86_400)
            try s.finish()
            return Heartbeat(interval: seconds == 0 ? nil : .seconds(seconds))
        }
    }
}
