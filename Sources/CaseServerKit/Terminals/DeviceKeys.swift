import GatewayCore

/// What the receiver needs to know of a device the store holds: its active keys (oldest first),
/// and whether it is revoked (then its envelopes are refused whatever the keys).
public struct DeviceKeys: Sendable, Equatable {
    public var keys: [SealingPublicKey]
    public var revoked: Bool

    public init(keys: [SealingPublicKey], revoked: Bool) {
        self.keys = keys
        self.revoked = revoked
    }
}
