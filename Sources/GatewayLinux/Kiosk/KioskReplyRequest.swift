import GatewayCore

/// The kiosk page's `POST /api/reply`: the person's answer to a case message the page showed.
/// `check` decides, from what the terminal knows (the followed case's messages, the replies
/// given here), whether it is a reply to spool; pure, so every refusal is tested without a
/// socket.
struct KioskReplyRequest: Decodable, Equatable {
    var ref: String
    var message: String
    var answer: String

    enum CodingKeys: String, CodingKey {
        case message, answer
        case ref = "case"
    }

    /// Why a reply is refused, with the HTTP status the page gets.
    enum Refusal: Error, Equatable {
        /// No followed case lists that message (404).
        case unknownMessage
        /// Answered already, here or at the server (409).
        case alreadyAnswered
        /// Not one of the choices, free text where none is allowed, too long, or an answer to
        /// an instruction (400).
        case notAnAnswer

        var status: Int {
            switch self {
            case .unknownMessage: 404
            case .alreadyAnswered: 409
            case .notAnAnswer: 400
            }
        }

        var reason: String {
            switch self {
            case .unknownMessage: "no shown case has this message"
            case .alreadyAnswered: "this message is answered already"
            case .notAnAnswer: "not an answer this message takes"
            }
        }
    }

    /// Whether a request may be read as a reply at all, from its headers: JSON only (a form of
    /// another site cannot send it without the browser asking first, which this server never
    /// allows), from the kiosk page's own origin when the browser names one, and small.
    /// - Returns: the status and reason to refuse it with; nil to read it.
    static func admit(
        contentType: String?,
        origin: String?,
        host: String?,
        bodyTooLarge: Bool
    ) -> (
        status: Int, reason: String
    )? {
        if bodyTooLarge { return (413, "a reply is at most 8 KiB") }
        guard contentType?.lowercased().hasPrefix("application/json") == true else {
            return (415, "send the reply as application/json")
        }
        if let origin, origin != "http://\(host ?? "")" { return (403, "a reply comes from the kiosk page only") }
        return nil
    }

    /// - Parameters: `message`: the message as the followed case lists it (nil: none does);
    ///   `repliedHere`: a reply to it was spooled here already.
    func check(message: CaseMessage?, repliedHere: Bool) -> Result<CaseReply, Refusal> {
        guard let message else { return .failure(.unknownMessage) }
        guard !message.answered, !repliedHere else { return .failure(.alreadyAnswered) }
        guard message.accepts(answer) else { return .failure(.notAnAnswer) }
        return .success(CaseReply(message: self.message, ref: ref))
    }
}
