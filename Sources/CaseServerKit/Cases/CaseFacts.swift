/// What `CaseRules` asks of a store while it plans one event, each asked only when the decision
/// needs it (a duplicate filed under a case asks for nothing more; a new case never asks whether
/// it was noted): a store answers each with one indexed read inside its transaction.
public protocol CaseFacts {
    /// The guidance link recorded for a type (`EventType.description`), if any.
    func guidanceLink(type: String) throws -> GuidanceLink?
    /// The case an event was filed under when it was first stored.
    func caseFiled(eventID: String) throws -> String?
    /// The open (not ended) case of an object, the latest opened if there are several.
    func openCase(schema: String, subject: String) throws -> OpenCase?
    /// Whether the case has a note with exactly this text, written after `afterNanos`.
    func hasNote(ref: String, text: String, afterNanos: Int64) throws -> Bool
}

/// An open case as the rules need it to join it.
public struct OpenCase: Sendable, Equatable {
    public var ref: String
    public var state: String

    public init(ref: String, state: String) {
        self.ref = ref
        self.state = state
    }
}
