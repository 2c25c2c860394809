extension GatewayConfig {
    /// `[[schema]]`: a site's label format, which tells subjects from badges and config tags.
    public struct Schema: Sendable, Equatable {
        /// The formats a schema may match decoded content of (`decoded = ...`).
        public static let decodedFormats = ["gs1", "epc", "em4100", "wiegand", "ndef", "text"]
        /// A schema on decoded content needs no pattern: it matches every scan of that format.
        public static let decodedDefaultPattern = "(?s).*"
        public static let defaultSubjectGroup = "subject"

        public var name: String
        public var pattern: String
        public var kind: TagClass
        public var subjectGroup: String
        public var length: Int?
        public var checkDigit: LabelSchema.CheckDigit?
        public var decodedFormat: String?
        public var subjectAI: String?

        /// All `[[schema]]` tables, in order (the first that matches a scan wins).
        public static func parse(_ sections: [ConfigSection]) throws(ConfigError) -> [Schema] {
            var schemas: [Schema] = []
            for s in sections { schemas.append(try parse(s)) }
            return schemas
        }

        public static func parse(_ s: ConfigSection) throws(ConfigError) -> Schema {
            let name = try s.id("name", example: "acme-asset")
            let decodedFormat = try s.string("decoded")
            if let f = decodedFormat, !decodedFormats.contains(f) {
                throw .invalid(
                    key: s.key("decoded"),
                    problem: "unknown format '\(f)'",
                    fix: "use gs1, epc, em4100, wiegand, ndef or text"
                )
            }
            let subjectAI = try s.string("subject_ai")
            if let ai = subjectAI, GS1AITable.entries[ai] == nil {
                throw .invalid(
                    key: s.key("subject_ai"),
                    problem: "'\(ai)' is not a GS1 Application Identifier",
                    fix: "use an AI such as \"01\" (GTIN) or \"8004\" (GIAI)"
                )
            }
            let pattern =
                decodedFormat != nil
                ? try s.string("pattern", default: decodedDefaultPattern)
                : try s.requiredString("pattern", example: "ACME-(?<subject>[0-9]{8})")
            let className = try s.string("class", default: TagClass.subject.rawValue)
            guard let kind = TagClass(rawValue: className) else {
                throw .invalid(
                    key: s.key("class"),
                    problem: "unknown class '\(className)'",
                    fix: "use one of \(TagClass.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            let group = try s.string("subject_group", default: defaultSubjectGroup)
            do {
                _ = try LabelSchema(name: name, pattern: pattern, kind: kind, subjectGroup: group)
            } catch {
                throw .invalid(
                    key: s.key("pattern"),
                    problem: "not a valid regular expression",
                    fix: "check the pattern's syntax (\(error))"
                )
            }
            let length = try s.int("length", default: 0, range: 0...4096)
            var checkDigit: LabelSchema.CheckDigit?
            if let cd = try s.string("check_digit") {
                guard let parsed = LabelSchema.CheckDigit(rawValue: cd) else {
                    throw .invalid(
                        key: s.key("check_digit"),
                        problem: "unknown check digit '\(cd)'",
                        fix: "use gs1 or luhn"
                    )
                }
                checkDigit = parsed
            }
            try s.finish()
            return Schema(
                name: name,
                pattern: pattern,
                kind: kind,
                subjectGroup: group,
                length: length == 0 ? nil : length,
                checkDigit: checkDigit,
                decodedFormat: decodedFormat,
                subjectAI: subjectAI
            )
        }

        /// The schema as the classifier uses it.
        public func compiled() throws -> LabelSchema {
            try LabelSchema(
                name: name,
                pattern: pattern,
                kind: kind,
                subjectGroup: subjectGroup,
                length: length,
                checkDigit: checkDigit,
                decodedFormat: decodedFormat,
                subjectAI: subjectAI
            )
        }
    }
}
