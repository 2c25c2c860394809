extension GatewayConfig {
    /// `[device]`: who this terminal is.
    public struct Device: Sendable, Equatable {
        public static let defaultPrivateKeyPath = "/var/lib/gatewayd/device.key"

        /// The id this terminal is registered under at the case server.
        public var id: String
        /// PKCS#8 PEM of this terminal's X25519 key; mode 0600, owned by the service user. For a
        /// key in a TPM, the configured `tpm:0x…` as written.
        public var privateKeyPath: String
        /// The TPM persistent handle of the device key (`private_key = "tpm:0x81000002"`), or nil
        /// for a key file.
        public var tpmHandle: UInt32?

        public init(id: String, privateKeyPath: String = Device.defaultPrivateKeyPath, tpmHandle: UInt32? = nil) {
            self.id = id
            self.privateKeyPath = privateKeyPath
            self.tpmHandle = tpmHandle
        }

        /// - Parameter directory: the config file's, for a relative `private_key`.
        public static func parse(_ s: ConfigSection, directory: String) throws(ConfigError) -> Device {
            let id = try s.id("id", example: "terminal-0001")
            let raw = try s.string("private_key", default: defaultPrivateKeyPath)
            let handle: UInt32?
            do {
                handle = try TPMHandle.parse(configValue: raw)
            } catch {
                throw .invalid(
                    key: s.key("private_key"),
                    problem: "\"\(error.text)\" is not a TPM persistent handle (0x81000000 to 0x81ffffff)",
                    fix: "write e.g. private_key = \"tpm:0x81000002\", the handle `gatewayd keygen --tpm` printed"
                )
            }
            let device = Device(
                id: id,
                privateKeyPath: handle == nil
                    ? try s.filePath("private_key", default: defaultPrivateKeyPath, relativeTo: directory) : raw,
                tpmHandle: handle
            )
            try s.finish()
            return device
        }
    }
}
