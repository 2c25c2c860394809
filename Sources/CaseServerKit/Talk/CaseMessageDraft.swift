import Foundation
import GatewayCore

/// A message a case handler is about to send, checked: a question has text and 2–6 distinct
/// answer choices, or none with a free answer allowed (or both); an instruction has text only.
/// Sizes are for an 800×480 kiosk screen, where a choice is a button.
public struct CaseMessageDraft: Sendable, Equatable {
    public let kind: String
    public let text: String
    public let choices: [String]
    public let freeText: Bool

    public static let maxTextLength = 300
    public static let maxChoiceLength = 40
    public static let choiceRange = 2...6

    /// - Throws: `CaseMessageError` naming what to change.
    public init(kind: String, text: String, choices: [String] = [], freeText: Bool = false) throws(CaseMessageError) {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        // Empty choice fields of a form are fields left unused, not choices.
        let choices = choices.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        guard kind == CaseMessage.question || kind == CaseMessage.instruction else { throw .unknownKind(kind) }
        guard !text.isEmpty else { throw .emptyText }
        guard text.count <= Self.maxTextLength else { throw .textTooLong(max: Self.maxTextLength) }
        if kind == CaseMessage.instruction {
            guard choices.isEmpty, !freeText else { throw .instructionWithAnswers }
        } else {
            if !(choices.isEmpty && freeText) {
                guard Self.choiceRange.contains(choices.count) else { throw .choiceCount(choices.count) }
            }
            if let long = choices.first(where: { $0.count > Self.maxChoiceLength }) {
                throw .choiceTooLong(long, max: Self.maxChoiceLength)
            }
            guard Set(choices).count == choices.count else { throw .duplicateChoice }
        }
        self.kind = kind
        self.text = text
        self.choices = choices
        self.freeText = freeText
    }

    /// A message id: 16 random hex digits (64 bits), the key the terminal's reply names.
    public static func drawID() -> String {
        var rng = SystemRandomNumberGenerator()
        let n = rng.next()
        let hex = String(n, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
