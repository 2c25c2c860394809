import Foundation

/// A case handler's message to the person on site, as `GET /v1/cases/{ref}` lists it
/// (`CaseStatus.messages`): a question with answer choices (or a free answer), or an
/// instruction to acknowledge. The terminal shows the unanswered ones and answers with a sealed
/// event of kind "reply" (`CaseReply`); the server files it under the message by `id`.
public struct CaseMessage: Codable, Sendable, Equatable {
    /// "question" or "instruction". A string, not an enum, so a terminal reading a newer
    /// server's kinds still reads the rest of the case.
    public var kind: String
    /// 16 random hex digits: the key the reply is tied by.
    public var id: String
    public var text: String
    /// A question's answers, in the order to show them; empty for an instruction and for a
    /// question answered in the person's own words only.
    public var choices: [String]
    /// A question the person may answer in their own words (besides any choice).
    public var freeText: Bool
    /// RFC 3339 UTC.
    public var sentAt: String
    /// Whether a reply was filed: for a question its answer, for an instruction the
    /// acknowledgement (an empty answer).
    public var answered: Bool
    /// The answer as the terminal sealed it (after its redaction rules).
    public var answer: String?
    public var answeredAt: String?
    /// The id of the reply event (its envelope id).
    public var replyEvent: String?

    public static let question = "question"
    public static let instruction = "instruction"

    enum CodingKeys: String, CodingKey {
        case kind, id, text, choices, answered, answer
        case freeText = "free_text"
        case sentAt = "sent_at"
        case answeredAt = "answered_at"
        case replyEvent = "reply_event"
    }

    public init(
        id: String,
        kind: String,
        text: String,
        choices: [String] = [],
        freeText: Bool = false,
        sentAt: String,
        answered: Bool = false,
        answer: String? = nil,
        answeredAt: String? = nil,
        replyEvent: String? = nil
    ) {
        self.id = id
        self.kind = kind
        self.text = text
        self.choices = choices
        self.freeText = freeText
        self.sentAt = sentAt
        self.answered = answered
        self.answer = answer
        self.answeredAt = answeredAt
        self.replyEvent = replyEvent
    }

    /// Whether `answer` is one this message takes: a question's choice, any text up to
    /// `maxAnswerLength` where free text is allowed, and nothing but the empty acknowledgement
    /// for an instruction.
    public func accepts(_ answer: String) -> Bool {
        if kind == Self.instruction { return answer.isEmpty }
        if choices.contains(answer) { return true }
        let trimmed = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        return freeText && !trimmed.isEmpty && answer.count <= Self.maxAnswerLength
    }

    /// The longest answer in the person's own words (characters): a sentence or two on a
    /// touchscreen.
    public static let maxAnswerLength = 500
}
