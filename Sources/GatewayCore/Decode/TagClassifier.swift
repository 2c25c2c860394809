/// Classifies a scan by the configured label schemas, in order: the first whose pattern matches
/// the whole scan wins and is named in the event, so the server can tell which rule decided.
/// A scan that is not UTF-8 text or that no schema matches is `unknown` — still forwarded,
/// never dropped: an unreadable label on a damaged object is still a report.
///
/// A reader with a role (a badge reader at the door: `role = "operator"`) gives the scans no
/// schema recognises that class instead of `unknown`, with the whole scan as the subject and no
/// schema named.
public struct TagClassifier: Sendable {
    public let schemas: [LabelSchema]
    public let readerRoles: [String: TagClass]

    public init(schemas: [LabelSchema], readerRoles: [String: TagClass] = [:]) {
        self.schemas = schemas
        self.readerRoles = readerRoles
    }

    public func classify(_ bytes: [UInt8], reader: String? = nil) -> TagClassification {
        (try? classifyChecked(bytes, reader: reader).get()) ?? .unknown
    }

    /// Like `classify`, but a scan that matches a schema and fails its validations is a misread.
    public func classifyChecked(
        _ bytes: [UInt8],
        reader: String? = nil,
        decoded: DecodedTag? = nil
    ) -> Result<TagClassification, Misread> {
        guard let text = String(validating: bytes, as: UTF8.self) else { return .success(.unknown) }
        for schema in schemas {
            if let r = schema.check(text, decoded: decoded) { return r }
        }
        if let reader, let role = readerRoles[reader] {
            return .success(TagClassification(kind: role, schema: nil, subject: text))
        }
        return .success(.unknown)
    }
}
