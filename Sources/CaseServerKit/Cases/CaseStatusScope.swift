import GatewayCore

/// Who a case's status is told to over the API (`GET /v1/cases/{ref}` and the answer to a
/// progress step), and what of it each may read. An insurer's state and notes are its own
/// business: another insurer on the same case never reads them, and the reference — which
/// every insurer of the case learns from its notifications — must not be a way around that.
public enum CaseStatusScope: Sendable, Equatable {
    /// The staff token: everything.
    case staff
    /// An insurer's token: its own row and notes only.
    case insurer(String)
    /// No token (a terminal following the case it showed): the case, every insurer's state,
    /// the desk's notes; no insurer's notes.
    case terminal

    /// `status` as this reader may read it, the server's own notes with their form
    /// (`CaseNoteForm`) so a page says them in its reader's language.
    public func apply(_ status: CaseStatus) -> CaseStatus {
        var s = CaseNoteForm.recognize(status)
        switch self {
        case .staff:
            return s
        case .insurer(let id):
            s.insurers = s.insurers.filter { $0.id == id }
            s.notes = s.notes.filter { $0.insurer == id }
            s.messages = nil
        case .terminal:
            s.insurers = s.insurers.map {
                var i = $0
                i.note = nil
                return i
            }
            s.notes = s.notes.filter { $0.insurer == nil }
        }
        return s
    }

    /// Whether this reader may know the case exists: an insurer only the cases it is on.
    public func mayRead(_ status: CaseStatus) -> Bool {
        guard case .insurer(let id) = self else { return true }
        return status.insurers.contains { $0.id == id }
    }
}
