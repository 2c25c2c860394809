/// What a kind "reply" event answers (`CaptureEvent.reply`): a case handler's message, by its
/// id, on a case. The answer itself is the event's `text`, so the redaction rules look at it as
/// they look at a scanned text (a person may type an id or a phone number into it).
public struct CaseReply: Codable, Sendable, Equatable {
    /// The message's id (`CaseMessage.id`).
    public var message: String
    /// The case's reference.
    public var ref: String

    enum CodingKeys: String, CodingKey {
        case message
        case ref = "case"
    }

    public init(message: String, ref: String) {
        self.message = message
        self.ref = ref
    }
}
