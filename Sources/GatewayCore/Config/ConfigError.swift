/// A configuration problem, phrased for the technician who has to fix the file: which key,
/// what is wrong with it, and what would be right.
public enum ConfigError: Error, Equatable, CustomStringConvertible {
    /// The file is not valid TOML.
    case syntax(line: Int, column: Int, message: String)
    /// A key has a wrong value, a wrong type or is missing.
    case invalid(key: String, problem: String, fix: String)
    /// A key the configuration does not know: usually a typo.
    case unknownKey(key: String, known: [String])

    public var description: String {
        switch self {
        case .syntax(let line, let column, let message):
            return "config: line \(line), column \(column): \(message)"
        case .invalid(let key, let problem, let fix):
            return "config: \(key): \(problem); \(fix)"
        case .unknownKey(let key, let known):
            return "config: \(key): unknown key; known keys here are: \(known.joined(separator: ", "))"
        }
    }
}
