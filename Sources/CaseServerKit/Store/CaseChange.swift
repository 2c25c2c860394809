import GatewayCore

/// A case as it stands after its latest change, as the console lists it and its change feed
/// sends it: the row `risk_case` holds (with the terminal that opened it, for its site) and its
/// insurers.
public struct CaseChange: Sendable, Equatable {
    public var ref: String
    public var subject: String
    /// "" when no schema matched.
    public var schema: String
    /// The terminal whose scan opened the case.
    public var device: String
    public var state: String
    public var final: Bool
    public var openedAtNanos: Int64
    /// When the case, or one insurer's state on it, last changed (the feed's watermark).
    public var updatedAtNanos: Int64
    public var insurers: [InsurerStatus]

    public init(
        ref: String,
        subject: String,
        schema: String,
        device: String,
        state: String,
        final: Bool,
        openedAtNanos: Int64,
        updatedAtNanos: Int64,
        insurers: [InsurerStatus]
    ) {
        self.ref = ref
        self.subject = subject
        self.schema = schema
        self.device = device
        self.state = state
        self.final = final
        self.openedAtNanos = openedAtNanos
        self.updatedAtNanos = updatedAtNanos
        self.insurers = insurers
    }
}
