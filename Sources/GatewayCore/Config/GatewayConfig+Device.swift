extension GatewayConfig {
    /// `[device]`: who this terminal is.
    public struct Device: Sendable, Equatable {
        public static let defaultPrivateKeyPath = "/var/lib/gatewayd/device.key"

        /// The id this terminal is registered under at the case server.
        public var id: String
        /// PKCS#8 PEM of this terminal's X25519 key; mode 0600, owned by the service user.
        public var privateKeyPath: String

        public init(id: String, privateKeyPath: String = Device.defaultPrivateKeyPath) {
            self.id = id
            self.privateKeyPath = privateKeyPath
        }

        /// - Parameter directory: the config file's, for a relative `private_key`.
        public static func parse(_ s: ConfigSection, directory: String) throws(ConfigError) -> Device {
            let device = Device(
                id: try s.id("id", example: "terminal-0001"),
                privateKeyPath: try s.filePath("private_key", default: defaultPrivateKeyPath, relativeTo: directory)
            )
            try s.finish()
            return device
        }
    }
}
