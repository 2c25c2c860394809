/// Classifies a scan by the configured label schemas, in order: the first whose pattern matches
/// the whole scan wins and is named in the event, so the server can tell which rule decided.
/// A scan that is not UTF-8 text or that no schema matches is `unknown` — still forwarded,
/// never dropped: an unreadable label on a damaged object is still a report.
public struct TagClassifier: Sendable {
    public let schemas: [LabelSchema]

    public init(schemas: [LabelSchema]) {
        self.schemas = schemas
    }

    public func classify(_ bytes: [UInt8]) -> TagClassification {
        guard let text = String(validating: bytes, as: UTF8.self) else { return .unknown }
        for schema in schemas {
            if let c = schema.match(text) { return c }
        }
        return .unknown
    }
}
