import Foundation

/// Applies the redaction rules to a capture event before it is sealed (pure; no I/O).
///
/// One value often appears in several forms in an event — a name in a GS1 element *and* in the
/// element string it was parsed from *and* in the raw bytes — so every replacement a rule makes
/// is carried into every other string of the event, and `raw` is rebuilt from the redacted text
/// (or withheld, for a binary scan whose content had to change). Replacing wins over keeping
/// tag data intact: a personal value that also occurs inside a GTIN in `text` is replaced there
/// too; the decoded GTIN itself is never touched unless a rule names it.
///
/// Detectors look only where free text can be: plain-text scans, JSON payload members, NDEF
/// text and URIs, and the free-text GS1 AIs (90–99 company internal, 4300–4326, 7250–7259).
/// The values of all other GS1 AIs, EPCs and bare GTINs are identifiers whose check digits can
/// pass Luhn by chance; they are protected unless a field rule names them.
public struct Redactor: Sendable {
    public let rules: [RedactionRule]
    let pseudonymizer: Pseudonymizer?

    /// Without a pseudonymizer a `hash` rule drops its value instead (fail closed); the config
    /// loader refuses such a configuration before it gets here.
    public init(rules: [RedactionRule], pseudonymizer: Pseudonymizer?) {
        self.rules = rules
        self.pseudonymizer = pseudonymizer
    }

    public static func needsSiteKey(_ rules: [RedactionRule]) -> Bool { rules.contains { $0.action == .hash } }

    public static func isFreeTextAI(_ ai: String) -> Bool {
        guard let n = Int(ai) else { return false }
        switch ai.count {
        case 2: return (90...99).contains(n)
        case 4: return (4300...4326).contains(n) || (7250...7259).contains(n)
        default: return false
        }
    }

    public func redact(_ event: CaptureEvent) -> Redaction {
        var w = RedactionWork(event: event, redactor: self)
        for rule in rules {
            switch rule.action {
            case .coarsenLocation, .coarsenTime: w.coarsen(rule)
            default:
                if !rule.fields.isEmpty { w.applyFields(rule) }
                if !rule.detect.isEmpty { w.applyDetectors(rule) }
            }
        }
        w.settle()
        w.finish()
        return Redaction(event: w.e, steps: w.steps)
    }

    func replacement(for value: String, _ action: RedactionRule.Action, kind: PersonalDataKind?) -> String {
        switch action {
        case .mask(let first, let last):
            let c = Array(value)
            guard c.count > first + last else { return String(repeating: "*", count: c.count) }
            return String(c[..<first]) + String(repeating: "*", count: c.count - first - last)
                + String(c[(c.count - last)...])
        case .hash:
            return pseudonymizer?.pseudonym(for: value, kind: kind) ?? ""
        case .drop, .coarsenLocation, .coarsenTime:
            return ""
        }
    }
}

/// The redacted event and, for `gatewayd redact --explain`, what each rule did. The steps hold
/// the values before redaction: show them to the technician who supplied the sample; never log
/// them.
public struct Redaction: Sendable {
    public var event: CaptureEvent
    public var steps: [RedactionStep]
}

public struct RedactionStep: Sendable, Equatable {
    public var rule: String
    public var field: String
    public var kind: PersonalDataKind?
    public var action: String
    public var before: String
    public var after: String
}
