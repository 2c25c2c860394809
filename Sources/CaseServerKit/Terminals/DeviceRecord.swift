/// One device as the store holds it, for `case-server devices list` and `terminals`.
public struct DeviceRecord: Sendable, Equatable {
    public var device: String
    /// When it was last enrolled or added; nil for a device only recorded as revoked.
    public var enrolledAtNanos: Int64?
    /// How: "token" (`gatewayd enroll`) or "add" (`case-server devices add`).
    public var enrolledHow: String?
    public var revokedAtNanos: Int64?
    public var revokeReason: String?
    /// Oldest first, retired ones included.
    public var keys: [Key]

    public struct Key: Sendable, Equatable {
        public var keyID: String
        public var kem: String
        public var addedAtNanos: Int64
        public var retiredAtNanos: Int64?

        public init(keyID: String, kem: String, addedAtNanos: Int64, retiredAtNanos: Int64?) {
            self.keyID = keyID
            self.kem = kem
            self.addedAtNanos = addedAtNanos
            self.retiredAtNanos = retiredAtNanos
        }
    }

    public init(
        device: String,
        enrolledAtNanos: Int64?,
        enrolledHow: String?,
        revokedAtNanos: Int64?,
        revokeReason: String?,
        keys: [Key]
    ) {
        self.device = device
        self.enrolledAtNanos = enrolledAtNanos
        self.enrolledHow = enrolledHow
        self.revokedAtNanos = revokedAtNanos
        self.revokeReason = revokeReason
        self.keys = keys
    }
}
