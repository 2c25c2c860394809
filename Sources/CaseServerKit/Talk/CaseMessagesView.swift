import Foundation
import GatewayCore

/// What the `case_messages` partial shows, as template values under `talk`: each message with
/// its state in the user's language and time zone, the error a refused form came back with, and
/// the form for those who may send (handlers and admins).
public enum CaseMessagesView {
    /// - Parameters: `error`: the `talk_error` of the case page's URL (a `CaseMessageError.key`);
    ///   an unknown one is ignored.
    public static func values(
        ref: String,
        messages: [CaseMessage],
        session: ConsoleSession,
        error: String? = nil
    ) -> [String: Any] {
        let user = session.user
        let catalog = user.catalog
        func when(_ rfc3339: String?) -> String {
            guard let s = rfc3339, let n = RFC3339.parseUnixNanos(s) else { return rfc3339 ?? "" }
            let d = Date(timeIntervalSince1970: Double(n) / 1e9)
            return user.language.dateTime(d, timeZone: user.timeZone)
        }
        let listed: [[String: Any]] = messages.map { m in
            [
                "id": m.id,
                "question": m.kind == CaseMessage.question,
                "text": m.text,
                "has_choices": !m.choices.isEmpty,
                "choices": m.choices.map { ["label": $0, "chosen": m.answered && m.answer == $0] as [String: Any] },
                "free_text": m.freeText,
                "sent_at": m.sentAt,
                "sent_at_text": when(m.sentAt),
                "answered": m.answered,
                "answer": m.answer ?? "",
                "own_words": m.answered && !m.choices.contains(m.answer ?? ""),
                "answered_at": m.answeredAt ?? "",
                "answered_at_text": when(m.answeredAt),
            ]
        }
        var talk: [String: Any] = [
            "ref": ref,
            "messages": listed,
            "any": !listed.isEmpty,
            "may_send": user.role == .handler || user.role == .admin,
            "csrf": session.csrfToken,
            "choice_fields": Array(1...CaseMessageDraft.choiceRange.upperBound).map(String.init),
        ]
        if let error, catalog.strings["talk.error.\(error)"] != nil {
            talk["error"] = catalog["talk.error.\(error)"]
        }
        return ["talk": talk]
    }
}
