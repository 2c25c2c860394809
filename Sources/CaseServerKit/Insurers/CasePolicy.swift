import Foundation
import GatewayCore

/// What the reference server knows about the world outside the terminals (`serve --policy
/// FILE`, TOML; docs/case-server.md): the insurers, which objects each covers, and the guidance
/// per event type. Without a file the built-in policy applies: guidance for the common types and
/// no insurers; with one, the built-in guidance still answers after the site's own entries.
///
///     [[insurer]]
///     id = "north"
///     name = "Northern Mutual"
///     webhook_url = "https://claims.north.example/gatewayd"   # optional (docs/insurers.md)
///     secret_file = "north.secret"   # with webhook_url: the HMAC key, ≥ 32 bytes
///     token_file = "north.token"     # optional: its bearer token for the progress endpoint
///
///     [webhooks]                     # optional: how notifications are sent
///     timeout_ms = 10000
///     max_attempts = 20
///
///     [[coverage]]
///     subjects = ["1002*"]        # globs over the subject id the label schema extracted
///     schema = "acme"             # optional: labels of this schema only
///     insurers = ["north"]
///
///     [[guidance]]
///     id = "acme-bystander"
///     class = "subject"           # subject | operator | config | unknown
///     schema = "acme"             # optional: absent = events no schema matched
///     scanner = "unidentified"    # operator | unidentified
///     title = "Thank you — the owner's insurers have been told"
///     text = "…"
///     steps = ["…", "…"]
///
///     [[site]]                    # optional: where terminals stand (`CaseSite`)
///     id = "depot-a"
///     name = "Depot A"
///     devices = ["term-a-*"]
public struct CasePolicy: Sendable {
    public struct Insurer: Sendable, Equatable {
        public var id: String
        public var name: String
        /// Where its notifications are posted; nil: it is recorded as notified and nothing is
        /// sent (docs/insurers.md).
        public var webhook: InsurerWebhook?
        /// The file holding its bearer token for `POST /v1/cases/{ref}/progress`, if it reports
        /// progress itself.
        public var tokenFile: String?

        public init(id: String, name: String, webhook: InsurerWebhook? = nil, tokenFile: String? = nil) {
            self.id = id
            self.name = name
            self.webhook = webhook
            self.tokenFile = tokenFile
        }
    }

    public struct Coverage: Sendable, Equatable {
        public var subjects: [String]
        public var schema: String?
        public var insurers: [String]
    }

    public var insurers: [Insurer]
    public var coverage: [Coverage]
    public var catalog: GuidanceCatalog
    /// How notifications are sent (`[webhooks]`).
    public var webhooks: WebhookSettings
    /// Where terminals stand (`[[site]]`), in the policy's order.
    public var sites: [CaseSite]

    public init(
        insurers: [Insurer],
        coverage: [Coverage],
        catalog: GuidanceCatalog,
        webhooks: WebhookSettings = WebhookSettings(),
        sites: [CaseSite] = []
    ) {
        self.insurers = insurers
        self.coverage = coverage
        self.catalog = catalog
        self.webhooks = webhooks
        self.sites = sites
    }

    /// The site of a case opened by `device`: the first `[[site]]` whose `devices` match it;
    /// nil when none does (the case is `CaseSite.unassigned`).
    public func site(forDevice device: String) -> CaseSite? {
        sites.first { $0.contains(device: device) }
    }

    /// The insurers covering an object, in the order the policy names them, each once.
    public func insurers(covering subject: String, schema: String?) -> [Insurer] {
        var ids: [String] = []
        for c in coverage
        where (c.schema == nil || c.schema == schema) && c.subjects.contains(where: { Glob.matches($0, subject) }) {
            for id in c.insurers where !ids.contains(id) { ids.append(id) }
        }
        return ids.compactMap { id in insurers.first { $0.id == id } }
    }

    /// - Parameter directory: what relative `secret_file` and `token_file` paths are taken from
    ///   (the policy file's directory).
    public static func parse(toml text: String, relativeTo directory: String = ".") throws(ConfigError) -> CasePolicy {
        let top = try ConfigSection.parse(text)
        var insurers: [Insurer] = []
        for t in try top.tableArray("insurer") {
            let id = try t.requiredString("id", example: "north")
            guard GatewayConfig.isValidID(id) else {
                throw .invalid(
                    key: t.key("id"),
                    problem: "'\(id)' is not an id",
                    fix: "use letters, digits, '.', '_' and '-'"
                )
            }
            guard !insurers.contains(where: { $0.id == id }) else {
                throw .invalid(
                    key: t.key("id"),
                    problem: "'\(id)' is used by another insurer",
                    fix: "give every [[insurer]] its own id"
                )
            }
            insurers.append(
                Insurer(
                    id: id,
                    name: try t.string("name", default: id),
                    webhook: try InsurerWebhook.parse(t, relativeTo: directory),
                    tokenFile: try t.filePath("token_file", relativeTo: directory)
                )
            )
            try t.finish()
        }
        var coverage: [Coverage] = []
        for t in try top.tableArray("coverage") {
            guard let subjects = try t.stringArray("subjects"), !subjects.isEmpty else {
                throw .invalid(
                    key: t.key("subjects"),
                    problem: "missing",
                    fix: "name the objects, e.g. subjects = [\"1002*\"]"
                )
            }
            guard let ids = try t.stringArray("insurers"), !ids.isEmpty else {
                throw .invalid(
                    key: t.key("insurers"),
                    problem: "missing",
                    fix: "name the insurers covering them, e.g. insurers = [\"north\"]"
                )
            }
            for id in ids where !insurers.contains(where: { $0.id == id }) {
                throw .invalid(
                    key: t.key("insurers"),
                    problem: "no [[insurer]] with id '\(id)'",
                    fix: "add it, or use one of \(insurers.map(\.id))"
                )
            }
            coverage.append(Coverage(subjects: subjects, schema: try t.string("schema"), insurers: ids))
            try t.finish()
        }
        var entries: [GuidanceCatalog.Entry] = []
        for t in try top.tableArray("guidance") {
            let id = try t.requiredString("id", example: "acme-bystander")
            guard !entries.contains(where: { $0.guidance.id == id }) else {
                throw .invalid(
                    key: t.key("id"),
                    problem: "'\(id)' is used by another guidance",
                    fix: "give every [[guidance]] its own id"
                )
            }
            let className = try t.requiredString("class", example: "subject")
            guard let kind = TagClass(rawValue: className) else {
                throw .invalid(
                    key: t.key("class"),
                    problem: "unknown class '\(className)'",
                    fix: "use one of \(TagClass.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            let scannerName = try t.string("scanner", default: EventType.Scanner.unidentified.rawValue)
            guard let scanner = EventType.Scanner(rawValue: scannerName) else {
                throw .invalid(
                    key: t.key("scanner"),
                    problem: "unknown scanner '\(scannerName)'",
                    fix: "use operator or unidentified"
                )
            }
            let type = EventType(kind: kind, schema: try t.string("schema"), scanner: scanner)
            guard !entries.contains(where: { $0.type == type }) else {
                throw .invalid(
                    key: t.key("class"),
                    problem: "another guidance is for \(type) already",
                    fix: "keep one [[guidance]] per type"
                )
            }
            let guidance = Guidance(
                id: id,
                title: try t.requiredString("title", example: "Report received"),
                text: try t.requiredString("text", example: "Keep away from the damaged object."),
                steps: try t.stringArray("steps") ?? []
            )
            entries.append(.init(type: type, guidance: guidance))
            try t.finish()
        }
        var sites: [CaseSite] = []
        for t in try top.tableArray("site") {
            sites.append(try CaseSite.parse(t, known: sites))
        }
        var webhooks = WebhookSettings()
        if let t = try top.table("webhooks") {
            webhooks = try WebhookSettings.parse(t)
            try t.finish()
        }
        try top.finish()
        // The built-in guidance stays behind the site's: for a class the site wrote nothing for
        // (a badge tap, say), and for types of its own the site did not configure.
        let fallback = builtIn.catalog.entries.filter { b in !entries.contains { $0.type == b.type } }
        return CasePolicy(
            insurers: insurers,
            coverage: coverage,
            catalog: GuidanceCatalog(entries: entries + fallback),
            webhooks: webhooks,
            sites: sites
        )
    }

    /// Guidance for the usual types, no insurers: what `serve` uses without `--policy`.
    public static let builtIn = CasePolicy(
        insurers: [],
        coverage: [],
        catalog: GuidanceCatalog(entries: [
            .init(
                type: EventType(kind: .subject, schema: nil, scanner: .operatorSignedIn),
                guidance: Guidance(
                    id: "builtin-subject-operator",
                    title: "Report received — case opened",
                    text:
                        "The object's insurers are being told. Make the site safe and stop further loss where you can do so without risk.",
                    steps: [
                        "Keep people away from the damage", "Stop the cause if it is safe (water, power, gas)",
                        "Photograph the damage before anything is moved",
                        "Wait for the assessor's call",
                    ]
                )
            ),
            .init(
                type: EventType(kind: .subject, schema: nil, scanner: .unidentified),
                guidance: Guidance(
                    id: "builtin-subject-bystander",
                    title: "Thank you — the report has been received",
                    text:
                        "The owner's insurers are being told. Please keep a safe distance; do not try to repair the damage.",
                    steps: [
                        "Keep a safe distance", "If anyone is in danger, call the emergency number",
                        "Stay nearby if you can, someone may call",
                    ]
                )
            ),
            .init(
                type: EventType(kind: .unknown, schema: nil, scanner: .unidentified),
                guidance: Guidance(
                    id: "builtin-unknown",
                    title: "This label is not on record",
                    text:
                        "The scan was received, but the label belongs to no insured object we know. Scan the object's own label if there is one.",
                    steps: [
                        "Look for the object's label (usually near the nameplate)",
                        "Scan it, or call the site's contact",
                    ]
                )
            ),
            .init(
                type: EventType(kind: .operatorBadge, schema: nil, scanner: .unidentified),
                guidance: Guidance(
                    id: "builtin-operator",
                    title: "Signed in",
                    text: "Scans you make now are reported under your session."
                )
            ),
        ])
    )
}
