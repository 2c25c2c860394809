/// Why a step of progress was refused; each names the valid choices, so a case handler can
/// correct the command or request.
public enum CaseProgressError: Error, Equatable, CustomStringConvertible {
    case noSuchCase(String)
    case unknownState(String, valid: [String])
    case noSuchInsurer(String, onCase: [String])
    case caseClosed(String)

    public var description: String {
        switch self {
        case .noSuchCase(let r): return "no case \(r) (case-server cases lists them)"
        case .unknownState(let s, let valid): return "unknown state '\(s)'; use one of \(valid.joined(separator: ", "))"
        case .noSuchInsurer(let i, let on):
            return "insurer '\(i)' is not on this case; it has \(on.isEmpty ? "none" : on.joined(separator: ", "))"
        case .caseClosed(let r): return "case \(r) is resolved or closed; only resolved or closed can follow"
        }
    }
}
