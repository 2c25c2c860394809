import GatewayCore

/// What the answer to an accepted (or duplicate) envelope carries.
public struct CaseAnswer: Sendable, Equatable {
    public var caseInfo: CaseInfo?
    public var guidance: Guidance?

    public init(caseInfo: CaseInfo?, guidance: Guidance?) {
        self.caseInfo = caseInfo
        self.guidance = guidance
    }
}
