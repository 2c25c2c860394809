/// The rules for a step of a case's progress, kept apart from any store: which state may follow
/// which, and whose. A store looks up the case (and, for an insurer's step, who is on it), asks
/// `check`, and writes the update it returns with the step's note.
public enum CaseProgress {
    /// What a valid step changes.
    public enum Update: Sendable, Equatable {
        /// The case's own state; `final` when the state ends the case.
        case caseState(String, final: Bool)
        /// One insurer's state and note (nil when the step has no note).
        case insurerState(String, insurer: String, note: String?)
    }

    /// Checks a step against the case as stored. - Parameters: `caseIsFinal`: nil when there is
    /// no such case; `insurersOnCase`: the insurers on the case, in their order (read only for
    /// an insurer's step).
    public static func check(
        ref: String,
        state: String,
        note: String,
        insurer: String?,
        caseIsFinal: Bool?,
        insurersOnCase: () throws -> [String]
    ) throws -> Update {
        guard let caseIsFinal else { throw CaseProgressError.noSuchCase(ref) }
        if let insurer {
            guard CaseStates.ofInsurer.contains(state) else {
                throw CaseProgressError.unknownState(state, valid: CaseStates.ofInsurer)
            }
            let on = try insurersOnCase()
            guard on.contains(insurer) else { throw CaseProgressError.noSuchInsurer(insurer, onCase: on) }
            return .insurerState(state, insurer: insurer, note: note.isEmpty ? nil : note)
        }
        guard CaseStates.ofCase.contains(state) else {
            throw CaseProgressError.unknownState(state, valid: CaseStates.ofCase)
        }
        if caseIsFinal, !CaseStates.ending.contains(state) { throw CaseProgressError.caseClosed(ref) }
        return .caseState(state, final: CaseStates.ending.contains(state))
    }
}
