import GatewayCore

/// One row of `case-server cases`.
public struct CaseSummary: Sendable, Equatable {
    public var ref: String
    public var subject: String
    public var schema: String
    public var state: String
    public var insurers: [InsurerStatus]
    public var openedAt: String

    public init(
        ref: String,
        subject: String,
        schema: String,
        state: String,
        insurers: [InsurerStatus],
        openedAt: String
    ) {
        self.ref = ref
        self.subject = subject
        self.schema = schema
        self.state = state
        self.insurers = insurers
        self.openedAt = openedAt
    }
}
