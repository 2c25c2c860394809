import Foundation
import GatewayCore

/// What both stores share in reading and writing case messages: the choices as a JSON array in
/// one column, and a row made into a `CaseMessage`.
enum CaseMessageRows {
    static func choicesJSON(_ choices: [String]) -> String {
        (try? JSONEncoder().encode(choices)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }

    static func message(
        id: String,
        kind: String,
        text: String,
        choices: String,
        freeText: Bool,
        sentAtNanos: Int64,
        answer: String?,
        answeredAtNanos: Int64?,
        replyEvent: String?
    ) -> CaseMessage {
        CaseMessage(
            id: id,
            kind: kind,
            text: text,
            choices: (try? JSONDecoder().decode([String].self, from: Data(choices.utf8))) ?? [],
            freeText: freeText,
            sentAt: RFC3339.format(unixNanos: sentAtNanos),
            answered: answeredAtNanos != nil,
            answer: answeredAtNanos != nil ? answer : nil,
            answeredAt: answeredAtNanos.map { RFC3339.format(unixNanos: $0) },
            replyEvent: replyEvent
        )
    }
}
