/// Why a PN53x poll answer could not be read; the poll is retried, the tap is not lost.
public enum ISO14443ATargetError: Error, Sendable, Hashable, CustomStringConvertible {
    case truncated
    /// A UID that is not 4, 7 or 10 bytes long.
    case badUIDLength(Int)
    /// A PN53x reports at most two targets.
    case tooManyTargets(Int)
    case badATSLength
    case trailingBytes(Int)

    public var description: String {
        switch self {
        case .truncated: return "tag poll answer is truncated: poll again"
        case .badUIDLength(let n): return "tag UID of \(n) bytes is not 4, 7 or 10 bytes long"
        case .tooManyTargets(let n): return "tag poll answer lists \(n) targets, a PN53x reports at most 2"
        case .badATSLength: return "tag ATS has a zero length byte"
        case .trailingBytes(let n): return "tag poll answer has \(n) unexpected trailing byte(s)"
        }
    }
}
