extension GatewayConfig {
    /// `[operator]`: who is scanning, from badge taps.
    public struct OperatorSettings: Sendable, Equatable {
        public static let defaultTimeoutSeconds: Double = 900
        public static let defaultLogoutSubject = "LOGOUT"

        /// A session ends this long after its last scan.
        public var timeoutSeconds = OperatorSettings.defaultTimeoutSeconds
        /// A badge or label with this subject ends the session at once.
        public var logoutSubject = OperatorSettings.defaultLogoutSubject

        public init() {}

        public static func parse(_ s: ConfigSection) throws(ConfigError) -> OperatorSettings {
            var o = OperatorSettings()
            o.timeoutSeconds = Double(try s.int("timeout_s", default: Int(defaultTimeoutSeconds), range: 10...86_400))
            o.logoutSubject = try s.string("logout_subject", default: defaultLogoutSubject)
            try s.finish()
            return o
        }
    }
}
