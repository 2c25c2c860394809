import GatewayCore

/// How a type got its guidance, as recorded (one row of `case-server guidance`): its own
/// configured entry, or a similar type's, with that type and the attributes they share.
public struct GuidanceLink: Sendable, Equatable {
    /// `EventType.description`.
    public var type: String
    public var guidanceID: String
    /// `configured` or `similar`.
    public var how: String
    public var similarTo: String?
    /// The shared attributes, comma-separated (`class,schema`).
    public var shared: String?
    public var linkedAtNanos: Int64

    public init(
        type: String,
        guidanceID: String,
        how: String,
        similarTo: String?,
        shared: String?,
        linkedAtNanos: Int64
    ) {
        self.type = type
        self.guidanceID = guidanceID
        self.how = how
        self.similarTo = similarTo
        self.shared = shared
        self.linkedAtNanos = linkedAtNanos
    }

    public var linkedAt: String { RFC3339.format(unixNanos: linkedAtNanos) }
}
