/// One named redaction rule: what it selects (personal-data detectors, or fields by name) and
/// what it does to what it selects. Rules run in order; each sees what the rules before it left.
///
/// Field names (globs with `*` and `?`):
/// - `text` — the scan as text; `subject` — the subject id a schema extracted;
/// - `gs1.<AI>` — a GS1 element's value (`gs1.725?` = AIs 7250–7259);
/// - `ndef.text`, `ndef.uri` — NDEF record payloads;
/// - `payload.<key>` — a member of a scan that is a JSON object (`payload.owner.phone`);
/// - `badge` — a 125 kHz badge id (every form: as read, as printed, the card number);
/// - `nfc.uid` — the UID of a tapped NFC tag (a staff, transit or bank card identifies a person);
/// - `operator` — the signed-in operator, and the subject of an operator-class scan (a badge);
/// - `location`; `captured_at` (with `monotonic_ns`).
public struct RedactionRule: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        /// Replace all but the first and last characters with `*`, keeping the length.
        case mask(keepFirst: Int, keepLast: Int)
        /// A keyed hash: `pn:` + 32 hex digits of HMAC-SHA256(site key, normalised value). The
        /// same value gives the same pseudonym on every terminal holding the site's key, so the
        /// case server can join on it without ever seeing the value.
        case hash
        /// Remove the value (an empty string inside text; the field itself elsewhere).
        case drop
        /// Location to `decimals` decimal places of a degree, or to a grid cell of `gridM` metres.
        case coarsenLocation(decimals: Int?, gridM: Double?)
        /// Time down to the start of its `bucketS`-second bucket.
        case coarsenTime(bucketS: Int)

        public var isMask: Bool { if case .mask = self { true } else { false } }

        public var name: String {
            switch self {
            case .mask(let f, let l): return "mask (keep first \(f), last \(l))"
            case .hash: return "hash (site-keyed pseudonym)"
            case .drop: return "drop"
            case .coarsenLocation(let d, let g):
                return d.map { "coarsen to \($0) decimals" } ?? "coarsen to a \(g ?? 0) m grid"
            case .coarsenTime(let b): return "coarsen to \(b) s buckets"
            }
        }
    }

    public var name: String
    /// Detector rules: the kinds of personal data to look for in free text.
    public var detect: [PersonalDataKind]
    /// Field rules: globs over field names.
    public var fields: [String]
    public var action: Action

    public init(name: String, detect: [PersonalDataKind] = [], fields: [String] = [], action: Action) {
        self.name = name
        self.detect = detect
        self.fields = fields
        self.action = action
    }

    public func selects(field: String) -> Bool { fields.contains { Glob.matches($0, field) } }

    /// The built-in rules, in order; on unless `[redact] builtin = false`. Configured rules run
    /// before them, so a site can treat a kind differently (its rule fires first and the value
    /// is gone before the built-in one looks).
    public static let builtIn: [RedactionRule] = [
        // GS1 AIs that describe a person: 7250–7259 (date of birth, names, gender, …),
        // 4300–4319 (ship-to and return-to names, addresses, phone numbers, e-mail).
        RedactionRule(name: "gs1-person", fields: ["gs1.725?", "gs1.430?", "gs1.431?"], action: .drop),
        // GSRN (8017 provider, 8018 recipient) identifies a person's relationship with an
        // organisation: keep it joinable, not readable.
        RedactionRule(name: "gs1-service-relation", fields: ["gs1.8017", "gs1.8018"], action: .hash),
        RedactionRule(name: "badge", fields: ["badge", "operator", "nfc.uid"], action: .hash),
        RedactionRule(name: "prc-id", detect: [.prcID], action: .hash),
        // PCI DSS allows at most first six and last four; we keep the last four only.
        RedactionRule(name: "payment-card", detect: [.paymentCard], action: .mask(keepFirst: 0, keepLast: 4)),
        RedactionRule(name: "phone", detect: [.mobileCN, .e164], action: .mask(keepFirst: 3, keepLast: 4)),
        RedactionRule(name: "email", detect: [.email], action: .hash),
        // 4 decimals ≈ 11 m: where the object is, not where the operator's door is.
        RedactionRule(name: "location", fields: ["location"], action: .coarsenLocation(decimals: 4, gridM: nil)),
    ]
}
