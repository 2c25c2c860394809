extension GatewayConfig {
    /// `[redact]`: the rules every event passes before it is sealed.
    public struct Redact: Sendable, Equatable {
        public static let defaultSiteKeyPath = "/var/lib/gatewayd/site.key"

        /// The site key for `hash` rules: 32+ random bytes, mode 0600, the same on every terminal
        /// of a site (`gatewayd keygen --site-key`).
        public var siteKeyPath: String
        /// Configured rules, then (unless `builtin = false`) `RedactionRule.builtIn`.
        public var rules: [RedactionRule]

        public init(siteKeyPath: String = Redact.defaultSiteKeyPath, rules: [RedactionRule] = RedactionRule.builtIn) {
            self.siteKeyPath = siteKeyPath
            self.rules = rules
        }

        /// - Parameter directory: the config file's, for a relative `site_key`.
        public static func parse(_ s: ConfigSection, directory: String) throws(ConfigError) -> Redact {
            let siteKey = try s.filePath("site_key", default: defaultSiteKeyPath, relativeTo: directory)
            let builtin = try s.bool("builtin", default: true)
            var rules: [RedactionRule] = []
            var names = Set<String>()
            for r in try s.tableArray("rule") {
                let name = try r.id("name", example: "national-id")
                guard names.insert(name).inserted else {
                    throw .invalid(
                        key: r.key("name"),
                        problem: "'\(name)' names another rule too",
                        fix: "give every [[redact.rule]] its own name: events list the rules that fired by name"
                    )
                }
                rules.append(try parseRule(r, name: name))
            }
            try s.finish()
            return Redact(siteKeyPath: siteKey, rules: rules + (builtin ? RedactionRule.builtIn : []))
        }

        /// One `[[redact.rule]]` whose `name` the caller has read: what it selects (detectors or
        /// field names) and what it does.
        static func parseRule(_ r: ConfigSection, name: String) throws(ConfigError) -> RedactionRule {
            var detect: [PersonalDataKind] = []
            for d in try r.stringArray("detect") ?? [] {
                guard let k = PersonalDataKind(rawValue: d) else {
                    throw .invalid(
                        key: r.key("detect"),
                        problem: "unknown detector '\(d)'",
                        fix: "use \(PersonalDataKind.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                detect.append(k)
            }
            let fields = try r.stringArray("fields") ?? []
            guard detect.isEmpty != fields.isEmpty else {
                throw .invalid(
                    key: r.key("detect"),
                    problem: detect.isEmpty ? "the rule selects nothing" : "both detect and fields are set",
                    fix: "give a rule either detect = [...] (personal data in free text)"
                        + " or fields = [...] (values by name)"
                )
            }
            let action = try parseAction(r, detect: detect, fields: fields)
            if action == .hash || action.isMask {
                if fields.contains(where: { Glob.matches($0, "captured_at") || Glob.matches($0, "location") }) {
                    throw .invalid(
                        key: r.key("fields"),
                        problem: "location and captured_at are not text: they cannot be masked or hashed",
                        fix: "coarsen them (action = \"coarsen\"), or drop the location"
                    )
                }
            } else if action == .drop, fields.contains(where: { Glob.matches($0, "captured_at") }) {
                throw .invalid(
                    key: r.key("fields"),
                    problem: "captured_at cannot be dropped",
                    fix: "coarsen it: action = \"coarsen\" with bucket_s"
                )
            }
            try r.finish()
            return RedactionRule(name: name, detect: detect, fields: fields, action: action)
        }

        /// `action` and the keys that belong to it.
        private static func parseAction(
            _ r: ConfigSection,
            detect: [PersonalDataKind],
            fields: [String]
        ) throws(ConfigError) -> RedactionRule.Action {
            let name = try r.requiredString("action", example: "mask")
            switch name {
            case "mask":
                return .mask(
                    keepFirst: try r.int("keep_first", default: 0, range: 0...64),
                    keepLast: try r.int("keep_last", default: 4, range: 0...64)
                )
            case "hash": return .hash
            case "drop": return .drop
            case "coarsen":
                let timeFields = fields.filter { Glob.matches($0, "captured_at") }
                let locFields = fields.filter { Glob.matches($0, "location") }
                guard detect.isEmpty, fields.count == timeFields.count + locFields.count,
                    timeFields.isEmpty != locFields.isEmpty
                else {
                    throw .invalid(
                        key: r.key("fields"),
                        problem: "coarsen applies to location or captured_at, one per rule",
                        fix: "write fields = [\"location\"] with decimals or grid_m,"
                            + " or fields = [\"captured_at\"] with bucket_s"
                    )
                }
                if !timeFields.isEmpty {
                    return .coarsenTime(bucketS: try r.int("bucket_s", default: 900, range: 1...86_400))
                }
                let decimals = try r.int("decimals", default: -1, range: -1...8)
                let grid = try r.int("grid_m", default: 0, range: 0...100_000)
                guard (decimals >= 0) != (grid > 0) else {
                    throw .invalid(
                        key: r.key("decimals"),
                        problem: "give exactly one of decimals and grid_m",
                        fix: "e.g. decimals = 3 (≈110 m) or grid_m = 500"
                    )
                }
                return .coarsenLocation(decimals: decimals >= 0 ? decimals : nil, gridM: grid > 0 ? Double(grid) : nil)
            default:
                throw .invalid(
                    key: r.key("action"),
                    problem: "unknown action '\(name)'",
                    fix: "use mask, hash, drop or coarsen"
                )
            }
        }
    }
}
