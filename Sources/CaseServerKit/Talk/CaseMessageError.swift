/// Why a message to the person on site was refused; each says what to change. `key` names the
/// console's catalogue entry for it (`talk.error.<key>`).
public enum CaseMessageError: Error, Equatable, CustomStringConvertible {
    case unknownKind(String)
    case emptyText
    case textTooLong(max: Int)
    case choiceCount(Int)
    case choiceTooLong(String, max: Int)
    case duplicateChoice
    case instructionWithAnswers
    case noSuchCase(String)
    case caseIsFinal(String)

    public var description: String {
        switch self {
        case .unknownKind(let k): "unknown kind '\(k)': use \"question\" or \"instruction\""
        case .emptyText: "the message has no text: write the question or instruction"
        case .textTooLong(let max): "the text is longer than \(max) characters: shorten it"
        case .choiceCount(let n):
            "a question has 2 to 6 answer choices (it has \(n)), or none with free_text = true"
        case .choiceTooLong(_, let max): "an answer choice is longer than \(max) characters: shorten it"
        case .duplicateChoice: "two answer choices are the same: make each different"
        case .instructionWithAnswers: "an instruction has no answer choices and no free text: send a question instead"
        case .noSuchCase(let r): "no case \(r) (case-server cases lists them)"
        case .caseIsFinal(let r): "case \(r) is resolved or closed: its terminal no longer follows it"
        }
    }

    /// The console's catalogue key for the error (`talk.error.<key>`).
    public var key: String {
        switch self {
        case .unknownKind: "kind"
        case .emptyText: "empty_text"
        case .textTooLong: "text_too_long"
        case .choiceCount: "choice_count"
        case .choiceTooLong: "choice_too_long"
        case .duplicateChoice: "duplicate_choice"
        case .instructionWithAnswers: "instruction_with_answers"
        case .noSuchCase: "no_such_case"
        case .caseIsFinal: "case_is_final"
        }
    }
}
