/// A site's label format: a regular expression over the whole scan, with a named group that
/// carries the id the case server expects.
///
/// Example: `pattern = 'ACME-(?<subject>[0-9]{8})'`, `class = "subject"` turns the scan
/// `ACME-00012345` into subject `00012345`. Without a group of that name the whole scan is
/// the subject.
public struct LabelSchema: @unchecked Sendable {
    // Regex is not Sendable on every toolchain; a compiled Regex is immutable, so sharing it
    // across threads is safe.
    public let name: String
    public let kind: TagClass
    public let pattern: String
    public let subjectGroup: String
    private let regex: Regex<AnyRegexOutput>

    public init(name: String, pattern: String, kind: TagClass, subjectGroup: String = "subject") throws(LabelSchemaError) {
        self.name = name
        self.kind = kind
        self.pattern = pattern
        self.subjectGroup = subjectGroup
        do {
            self.regex = try Regex(pattern)
        } catch {
            throw .invalidPattern(schema: name, detail: "\(error)")
        }
    }

    /// The classification when the whole text matches, nil otherwise.
    public func match(_ text: String) -> TagClassification? {
        guard let m = try? regex.wholeMatch(in: text) else { return nil }
        let subject: Substring
        if let group = m.output[subjectGroup], let s = group.substring {
            subject = s
        } else {
            subject = text[...]
        }
        return TagClassification(kind: kind, schema: name, subject: String(subject))
    }
}

public enum LabelSchemaError: Error, Equatable, CustomStringConvertible {
    case invalidPattern(schema: String, detail: String)

    public var description: String {
        switch self {
        case .invalidPattern(let schema, let detail):
            return "label schema '\(schema)': the pattern is not a valid regular expression (\(detail)); fix [[schema]] pattern"
        }
    }
}
