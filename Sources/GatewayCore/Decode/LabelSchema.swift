import Foundation

/// A site's label format: a regular expression over the whole scan, with a named group that
/// carries the id the case server expects.
///
/// Example: `pattern = 'ACME-(?<subject>[0-9]{8})'`, `class = "subject"` turns the scan
/// `ACME-00012345` into subject `00012345`. Without a group of that name the whole scan is
/// the subject.
///
/// Optional validations of the subject catch misreads of site labels the way check digits do
/// for GS1: `length` (exact number of characters) and `check_digit` (`gs1` mod 10 or `luhn`).
///
/// Patterns in the subset `ASCIIPattern` covers (nearly all site labels) are matched by it;
/// the Swift `Regex` engine is compiled, on first need, only for other patterns and for scans
/// with bytes outside that matcher's range, so its code stays off the scan path (see
/// ASCIIPattern for why and how the two are kept identical).
public struct LabelSchema: Sendable {
    public enum CheckDigit: String, Sendable, CaseIterable {
        case gs1, luhn
    }

    public let name: String
    public let kind: TagClass
    public let pattern: String
    public let subjectGroup: String
    public let length: Int?
    public let checkDigit: CheckDigit?
    /// Match only scans that decoded to this format (`gs1` also covers Digital Link and GTINs).
    public let decodedFormat: String?
    /// Take the subject from this GS1 AI of the decoded scan (e.g. "01", "8004").
    public let subjectAI: String?
    private let fast: ASCIIPattern?
    private let regex: CompiledRegex

    public init(
        name: String,
        pattern: String,
        kind: TagClass,
        subjectGroup: String = "subject",
        length: Int? = nil,
        checkDigit: CheckDigit? = nil,
        decodedFormat: String? = nil,
        subjectAI: String? = nil
    ) throws(LabelSchemaError) {
        self.name = name
        self.kind = kind
        self.pattern = pattern
        self.subjectGroup = subjectGroup
        self.length = length
        self.checkDigit = checkDigit
        self.decodedFormat = decodedFormat
        self.subjectAI = subjectAI
        self.fast = ASCIIPattern(pattern)
        self.regex = CompiledRegex(pattern)
        if fast == nil {
            do {
                _ = try regex.get()
            } catch {
                throw .invalidPattern(schema: name, detail: "\(error)")
            }
        }
    }

    /// The classification when the whole text matches and the subject passes the schema's
    /// validations; a misread when it matches but fails them; nil when it does not match.
    public func check(_ text: String, decoded: DecodedTag? = nil) -> Result<TagClassification, Misread>? {
        if let f = decodedFormat {
            guard let d = decoded else { return nil }
            let family: Set<String> = f == "gs1" ? ["gs1", "gs1-digital-link", "gtin"] : [f]
            guard family.contains(d.format.rawValue) else { return nil }
        }
        guard var c = match(text) else { return nil }
        if let ai = subjectAI {
            // The subject is the element's value (for an EPC, via its GS1 element string).
            let elements =
                decoded?.gs1 ?? decoded?.epc?.elementString.flatMap {
                    try? GS1ElementString.parse($0, referenceYear: 2000)
                } ?? []
            guard let v = elements.first(where: { $0.ai == ai })?.value else { return nil }
            c.subject = v
        } else if decodedFormat == "epc", let uri = decoded?.epc?.pureIdentityURI {
            c.subject = uri
        }
        let subject = c.subject ?? ""
        if let n = length, subject.count != n {
            return .failure(
                Misread(format: "schema \(name)", reason: "subject has \(subject.count) characters, expected \(n)")
            )
        }
        if let cd = checkDigit {
            let digits = Array(subject)
            let valid: Bool
            switch cd {
            case .gs1:
                valid =
                    digits.count >= 2 && digits.allSatisfy { $0.isASCII && $0.isNumber }
                    && GS1ElementString.checkDigit(digits.dropLast()) == digits.last
            case .luhn: valid = Self.luhnValid(digits)
            }
            if !valid {
                return .failure(Misread(format: "schema \(name)", reason: "\(cd.rawValue) check digit does not match"))
            }
        }
        return .success(c)
    }

    static func luhnValid(_ digits: [Character]) -> Bool {
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        return PersonalDataDetectors.luhn(digits.map { Int($0.asciiValue! - 48) })
    }

    /// The classification when the whole text matches, nil otherwise (no validations).
    public func match(_ text: String) -> TagClassification? {
        var outcome = fast?.wholeMatch(text) ?? .undecided
        if outcome == .undecided {
            // A pattern ASCIIPattern accepted is one Regex compiles (the differential tests hold
            // them to that); were it not, the scan is still forwarded, unclassified.
            guard let regex = try? regex.get() else { return nil }
            outcome = ASCIIPattern.outcome(of: regex, groups: [subjectGroup], in: text)
        }
        guard case .match(let groups) = outcome else { return nil }
        var text = text
        let subject = groups[subjectGroup].map { r in text.withUTF8 { String(decoding: $0[r], as: UTF8.self) } } ?? text
        return TagClassification(kind: kind, schema: name, subject: subject)
    }
}

/// A `Regex` compiled on first use and then shared: schemas that `ASCIIPattern` covers never
/// pay for the engine unless a scan needs it.
final class CompiledRegex: @unchecked Sendable {
    // Regex is not Sendable on every toolchain; a compiled Regex is immutable, and the lock
    // guards the one write, so sharing it across threads is safe.
    private let pattern: String
    private let lock = NSLock()
    private var compiled: Result<Regex<AnyRegexOutput>, any Error>?

    init(_ pattern: String) { self.pattern = pattern }

    func get() throws -> Regex<AnyRegexOutput> {
        lock.lock()
        defer { lock.unlock() }
        if let compiled { return try compiled.get() }
        let r = Result { try Regex(pattern) }
        compiled = r
        return try r.get()
    }
}

public enum LabelSchemaError: Error, Equatable, CustomStringConvertible {
    case invalidPattern(schema: String, detail: String)

    public var description: String {
        switch self {
        case .invalidPattern(let schema, let detail):
            return
                "label schema '\(schema)': the pattern is not a valid regular expression (\(detail)); fix [[schema]] pattern"
        }
    }
}
