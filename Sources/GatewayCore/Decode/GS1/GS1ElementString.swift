/// One GS1 element: an AI and its value, with what the value means where the table says.
public struct GS1Element: Sendable, Equatable, Codable {
    public var ai: String
    public var title: String
    public var value: String
    /// For AIs with an implied decimal point (310n…): the value as a decimal number.
    public var decimal: String?
    /// For date AIs: ISO 8601 (a day of 00 means the last day of the month).
    public var date: String?

    public init(ai: String, title: String, value: String, decimal: String? = nil, date: String? = nil) {
        self.ai = ai
        self.title = title
        self.value = value
        self.decimal = decimal
        self.date = date
    }
}

public enum GS1Error: Error, Equatable, CustomStringConvertible {
    case unknownAI(at: Int)
    case tooShort(ai: String)
    case tooLong(ai: String, max: Int)
    case badCharacter(ai: String)
    case checkDigit(ai: String, expected: Character, found: Character)
    case badDate(ai: String)
    case empty

    public var description: String {
        switch self {
        case .unknownAI(let at): return "no GS1 Application Identifier at position \(at)"
        case .tooShort(let ai): return "(\(ai)) is shorter than its format allows"
        case .tooLong(let ai, let max): return "(\(ai)) is longer than its maximum of \(max)"
        case .badCharacter(let ai): return "(\(ai)) has a character its format does not allow"
        case .checkDigit(let ai, let expected, let found):
            return "(\(ai)) check digit is \(found), expected \(expected): a misread"
        case .badDate(let ai): return "(\(ai)) is not a real date"
        case .empty: return "no element string"
        }
    }

    /// A misread (damaged label, wrong read) as opposed to a label that is not GS1 at all.
    public var isMisread: Bool {
        switch self {
        case .checkDigit, .badDate: return true
        default: return false
        }
    }
}

/// Parses GS1 element strings (GS1 General Specifications §7.8): AIs concatenated, variable-
/// length values ended by FNC1 — transmitted as GS (0x1D) — unless last, fixed-length ones by
/// their length. Also the human-readable bracketed form `(01)09506000134352(10)ABC`.
public enum GS1ElementString {
    public static let groupSeparator: Character = "\u{1D}"

    /// - Parameter referenceYear: the current year, for the century of two-digit years (§7.12).
    public static func parse(_ input: String, referenceYear: Int) throws(GS1Error) -> [GS1Element] {
        if input.first == "(" { return try parseBracketed(input, referenceYear: referenceYear) }
        let chars = Array(input)
        var i = 0
        var out: [GS1Element] = []
        while i < chars.count {
            if chars[i] == groupSeparator {
                i += 1
                continue
            }
            guard let entry = GS1AITable.lookup(prefixOf: chars[i...]) else { throw .unknownAI(at: i) }
            i += entry.ai.count
            let value: String
            if GS1AITable.predefinedLengthPrefixes.contains(String(entry.ai.prefix(2))) {
                let n = entry.maxLength
                guard i + n <= chars.count else { throw .tooShort(ai: entry.ai) }
                value = String(chars[i..<i + n])
                i += n
            } else {
                var j = i
                while j < chars.count && chars[j] != groupSeparator { j += 1 }
                value = String(chars[i..<j])
                i = j
            }
            out.append(try element(entry, value, referenceYear: referenceYear))
        }
        guard !out.isEmpty else { throw .empty }
        return out
    }

    static func parseBracketed(_ input: String, referenceYear: Int) throws(GS1Error) -> [GS1Element] {
        var out: [GS1Element] = []
        var rest = Substring(input)
        while !rest.isEmpty {
            guard rest.first == "(", let close = rest.firstIndex(of: ")") else {
                throw .unknownAI(at: input.count - rest.count)
            }
            let ai = String(rest[rest.index(after: rest.startIndex)..<close])
            guard let entry = GS1AITable.entries[ai] else { throw .unknownAI(at: input.count - rest.count) }
            rest = rest[rest.index(after: close)...]
            let end = rest.firstIndex(of: "(") ?? rest.endIndex
            out.append(try element(entry, String(rest[..<end]), referenceYear: referenceYear))
            rest = rest[end...]
        }
        guard !out.isEmpty else { throw .empty }
        return out
    }

    /// Validates one AI's value against its components and rules.
    public static func element(
        _ entry: GS1AITable.Entry,
        _ value: String,
        referenceYear: Int
    ) throws(GS1Error) -> GS1Element {
        let chars = Array(value)
        let minTotal = entry.components.reduce(0) { $0 + $1.min }
        guard chars.count >= minTotal else { throw .tooShort(ai: entry.ai) }
        guard chars.count <= entry.maxLength else { throw .tooLong(ai: entry.ai, max: entry.maxLength) }
        var el = GS1Element(ai: entry.ai, title: entry.title, value: value)
        var pos = 0
        for (k, c) in entry.components.enumerated() {
            let isLast = k == entry.components.count - 1
            let len = isLast ? chars.count - pos : c.max
            guard len >= c.min, len <= c.max, pos + len <= chars.count else { throw .tooShort(ai: entry.ai) }
            if len == 0 { continue }
            let part = Array(chars[pos..<pos + len])
            pos += len
            guard part.allSatisfy({ allowed($0, c.charset) }) else { throw .badCharacter(ai: entry.ai) }
            for rule in c.rules {
                switch rule {
                case "csum":
                    let expected = checkDigit(part.dropLast())
                    if part.last != expected {
                        throw .checkDigit(ai: entry.ai, expected: expected, found: part.last ?? "?")
                    }
                case "yymmdd", "yymmd0":
                    guard let d = date(part, allowZeroDay: rule == "yymmd0", referenceYear: referenceYear) else {
                        throw .badDate(ai: entry.ai)
                    }
                    el.date = d
                case "dec":
                    if let places = entry.decimals { el.decimal = decimal(String(part), places: places) }
                default:
                    break  // iso3166, iso4217: three digits, checked by charset and length
                }
            }
        }
        return el
    }

    /// GS1 check digit (§7.9.1): weights 3 and 1 alternating from the rightmost data digit.
    public static func checkDigit(_ digits: some BidirectionalCollection<Character>) -> Character {
        var sum = 0
        for (i, c) in digits.reversed().enumerated() {
            let d = Int(c.asciiValue ?? 48) - 48
            sum += i % 2 == 0 ? 3 * d : d
        }
        return Character(String((10 - sum % 10) % 10))
    }

    /// True when a GTIN-8/12/13/14, GLN (13), GSIN (17) or SSCC (18), digits only, has a valid
    /// check digit.
    public static func isValidKey(_ s: String) -> Bool {
        let c = Array(s)
        guard [8, 12, 13, 14, 17, 18].contains(c.count), c.allSatisfy(\.isASCII), c.allSatisfy(\.isNumber) else {
            return false
        }
        return checkDigit(c.dropLast()) == c.last
    }

    static func allowed(_ ch: Character, _ cs: GS1AITable.Component.Charset) -> Bool {
        guard let a = ch.asciiValue else { return false }
        switch cs {
        case .numeric: return a >= 0x30 && a <= 0x39
        case .cset39: return (a >= 0x30 && a <= 0x39) || (a >= 0x41 && a <= 0x5A) || a == 0x23 || a == 0x2D || a == 0x2F
        case .cset64:
            return (a >= 0x30 && a <= 0x39) || (a >= 0x41 && a <= 0x5A) || (a >= 0x61 && a <= 0x7A) || a == 0x2D
                || a == 0x5F || a == 0x3D
        case .cset82:
            // GS1 AI encodable character set 82 (§7.11, Figure 7.11-1).
            if (a >= 0x30 && a <= 0x39) || (a >= 0x41 && a <= 0x5A) || (a >= 0x61 && a <= 0x7A) { return true }
            return "!\"%&'()*+,-./:;<=>?_".utf8.contains(a)
        }
    }

    static func decimal(_ digits: String, places: Int) -> String {
        guard places > 0 else { return String(Int(digits) ?? 0) }
        var d = digits
        while d.count <= places { d = "0" + d }
        let intPart = String(d.dropLast(places)).drop { $0 == "0" }
        return (intPart.isEmpty ? "0" : String(intPart)) + "." + d.suffix(places)
    }

    /// YYMMDD with the century from GS1's sliding window (§7.12): a year more than 50 ahead of
    /// the reference is in the previous century, one more than 49 behind in the next.
    static func date(_ p: [Character], allowZeroDay: Bool, referenceYear: Int) -> String? {
        guard p.count == 6, let yy = Int(String(p[0..<2])), let mm = Int(String(p[2..<4])),
            let dd = Int(String(p[4..<6]))
        else { return nil }
        guard (1...12).contains(mm) else { return nil }
        let cur = referenceYear % 100
        var century = referenceYear - cur
        let diff = yy - cur
        if diff >= 51 { century -= 100 } else if diff <= -50 { century += 100 }
        let year = century + yy
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mm - 1]
        var day = dd
        if dd == 0 {
            guard allowZeroDay else { return nil }
            day = days
        }
        guard day >= 1 && day <= days else { return nil }
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(mm, 2))-\(pad(day, 2))"
    }
}
