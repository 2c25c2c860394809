extension GatewayConfig {
    /// `[server] next_*`: server key rotation. From `fromNanos` on (wall clock) scans are sealed
    /// to this key, so a fleet switches at one moment without a config push at that moment.
    public struct NextKey: Sendable, Equatable {
        public var publicKeyPath: String
        public var keyID: String?
        public var fromNanos: Int64

        public init(publicKeyPath: String, keyID: String?, fromNanos: Int64) {
            self.publicKeyPath = publicKeyPath
            self.keyID = keyID
            self.fromNanos = fromNanos
        }

        /// `next_public_key`, `next_from` and `next_key_id` of `[server]`; nil when none is given.
        public static func parse(_ s: ConfigSection, directory: String) throws(ConfigError) -> NextKey? {
            let path = try s.filePath("next_public_key", relativeTo: directory)
            let from = try s.string("next_from")
            let keyID = try s.string("next_key_id")
            guard let path else {
                guard from == nil && keyID == nil else {
                    throw .invalid(
                        key: s.key("next_public_key"),
                        problem: "missing",
                        fix: "next_from and next_key_id describe a next key: give its next_public_key too"
                    )
                }
                return nil
            }
            guard let from else {
                throw .invalid(
                    key: s.key("next_from"),
                    problem: "missing",
                    fix: "say when to switch to the next key, e.g. next_from = \"2027-01-01T00:00:00Z\""
                )
            }
            guard let nanos = RFC3339.parseUnixNanos(from) else {
                throw .invalid(
                    key: s.key("next_from"),
                    problem: "'\(from)' is not an RFC 3339 UTC time",
                    fix: "write it like \"2027-01-01T00:00:00Z\""
                )
            }
            return NextKey(publicKeyPath: path, keyID: keyID, fromNanos: nanos)
        }
    }
}
