extension GatewayConfig {
    /// `[metrics]`: the Prometheus endpoint. It stays on the terminal (loopback only): what it
    /// counts is for the local agent that scrapes it, not for the network.
    public struct Metrics: Sendable, Equatable {
        public static let defaultListen = HostPort(host: "127.0.0.1", port: 9464)

        /// nil = off (`listen = "off"`).
        public var listen: HostPort? = Metrics.defaultListen

        public init(listen: HostPort? = Metrics.defaultListen) {
            self.listen = listen
        }

        public static func parse(_ s: ConfigSection) throws(ConfigError) -> Metrics {
            let listen = try s.hostPortOrOff(
                "listen",
                default: defaultListen,
                rules: .init(loopbackOnly: true),
                fix: "metrics stay on the terminal: use \"\(defaultListen)\" (or \"off\")"
            )
            try s.finish()
            return Metrics(listen: listen)
        }
    }
}
