/// A label-schema pattern in the small subset of regular-expression syntax that site labels
/// use, matched over ASCII text without the Swift `Regex` engine.
///
/// Why: every scan is matched against every schema, and `Regex.wholeMatch` keeps the Swift
/// regex engine (`_StringProcessing`) resident on the scan path, more code pages than the
/// footprint target leaves room for (docs/performance.md). Schemas are nearly
/// always literals, classes, counted repeats and one named group, which this matcher covers
/// exactly in a few hundred bytes of code.
///
/// Exactness comes before coverage. `init?` accepts only syntax it matches exactly as
/// `Regex.wholeMatch` does, and `wholeMatch` answers only for text whose every byte is ASCII
/// outside the newline family (U+000A–U+000D), where each byte is one `Character` and
/// Unicode-aware classes (`\d`, `\w`, `\s`) reduce to their ASCII members. For any other
/// pattern `init?` returns nil, and for any other text `wholeMatch` returns `.undecided`:
/// `LabelSchema` then asks `Regex`. `ASCIIPatternTests` and the differential fuzz target
/// `fuzz/FuzzLabelPattern.swift` compare the two on generated patterns and texts.
///
/// Accepted syntax: printable literals; `.`; `\d \D \w \W \s \S`; a metacharacter escaped with
/// `\`; classes `[...]` and `[^...]` of literals, ranges `a-z` and those escapes; greedy
/// `? * + {n} {n,} {n,m}` (n, m ≤ 1000) after a single-character item; groups `(...)`,
/// `(?:...)` and `(?<name>...)`, not repeated; `|`; `^` and `$`; a leading `(?s)`; at most
/// 256 items.
/// Matching is backtracking in the same priority order as `Regex` (greedy repeats longest
/// first, alternatives left to right), so the captured groups are the ones `Regex` reports.
public struct ASCIIPattern: Sendable {
    /// The answer of `wholeMatch`.
    public enum Outcome: Equatable, Sendable {
        /// The text does not match the whole pattern.
        case noMatch
        /// The whole text matches; the named groups that took part, by name, as byte ranges.
        case match([String: Range<Int>])
        /// The text holds bytes this matcher does not decide on: ask `Regex`.
        case undecided
    }

    /// 128 bits, one per ASCII byte.
    struct ByteSet: Sendable {
        var low: UInt64 = 0
        var high: UInt64 = 0

        func contains(_ b: UInt8) -> Bool {
            b < 64 ? low & (1 << UInt64(b)) != 0 : b < 128 && high & (1 << UInt64(b - 64)) != 0
        }

        mutating func insert(_ range: ClosedRange<UInt8>) {
            for b in range where b < 128 {
                if b < 64 { low |= 1 << UInt64(b) } else { high |= 1 << UInt64(b - 64) }
            }
        }

        mutating func formUnion(_ other: ByteSet) {
            low |= other.low
            high |= other.high
        }

        var inverted: ByteSet { ByteSet(low: ~low, high: ~high) }

        static func of(_ range: ClosedRange<UInt8>) -> ByteSet {
            var s = ByteSet()
            s.insert(range)
            return s
        }
        static let all = ByteSet.of(0...127)
        static let digits = ByteSet.of(0x30...0x39)
        static let word: ByteSet = {
            var s = ByteSet.digits
            s.insert(0x41...0x5A)
            s.insert(0x61...0x7A)
            s.insert(0x5F...0x5F)
            return s
        }()
        /// Of the bytes a decided text can hold, only tab and space are Unicode White_Space.
        static let space: ByteSet = {
            var s = ByteSet.of(0x09...0x09)
            s.insert(0x20...0x20)
            return s
        }()
    }

    indirect enum Node: Sendable {
        case set(ByteSet, min: Int, max: Int)
        /// A group; `capture` is its index among the named groups, nil for the others.
        case group(capture: Int?, alternatives: [[Node]])
        case start
        case end
    }

    let alternatives: [[Node]]
    /// The named groups in the order they open.
    public let groupNames: [String]

    /// The pattern compiled, or nil when it uses syntax outside the subset (or is not a valid
    /// pattern at all; `Regex` then says why).
    public init?(_ pattern: String) {
        var p = Parser(bytes: Array(pattern.utf8))
        guard p.bytes.allSatisfy({ (0x20...0x7E).contains($0) }), let alts = p.parsePattern() else { return nil }
        alternatives = alts
        groupNames = p.names
    }

    /// Whether the whole text matches, with the named groups' byte ranges in `text.utf8`.
    public func wholeMatch(_ text: String) -> Outcome {
        var text = text
        return text.withUTF8 { wholeMatch(bytes: $0) }
    }

    public func wholeMatch(bytes: UnsafeBufferPointer<UInt8>) -> Outcome {
        for b in bytes where b >= 0x80 || (0x0A...0x0D).contains(b) { return .undecided }
        let m = Matcher(text: bytes, captures: groupNames.count)
        guard m.alternatives(alternatives, at: 0, then: { $0 == bytes.count }) else { return .noMatch }
        var groups: [String: Range<Int>] = [:]
        for (i, name) in groupNames.enumerated() { if let r = m.captures[i] { groups[name] = r } }
        return .match(groups)
    }

    /// `Regex`'s answer in this type's form, the named groups as UTF-8 byte ranges: what
    /// LabelSchema falls back to, and what the differential tests compare with.
    public static func outcome(of regex: Regex<AnyRegexOutput>, groups names: [String], in text: String) -> Outcome {
        guard let m = try? regex.wholeMatch(in: text) else { return .noMatch }
        var groups: [String: Range<Int>] = [:]
        for name in names {
            guard let s = m.output[name]?.substring else { continue }
            let from = text.utf8.distance(from: text.utf8.startIndex, to: s.startIndex)
            groups[name] = from..<(from + s.utf8.count)
        }
        return .match(groups)
    }

    /// Backtracking over the node tree; `then` is the rest of the match, so a later failure
    /// makes an earlier repeat give back characters or an alternation try its next branch.
    final class Matcher {
        let text: UnsafeBufferPointer<UInt8>
        var captures: [Range<Int>?]

        init(text: UnsafeBufferPointer<UInt8>, captures: Int) {
            self.text = text
            self.captures = Array(repeating: nil, count: captures)
        }

        func alternatives(_ alts: [[Node]], at pos: Int, then rest: (Int) -> Bool) -> Bool {
            for seq in alts where sequence(seq, from: 0, at: pos, then: rest) { return true }
            return false
        }

        func sequence(_ seq: [Node], from i: Int, at pos: Int, then rest: (Int) -> Bool) -> Bool {
            guard i < seq.count else { return rest(pos) }
            switch seq[i] {
            case .start:
                return pos == 0 && sequence(seq, from: i + 1, at: pos, then: rest)
            case .end:
                return pos == text.count && sequence(seq, from: i + 1, at: pos, then: rest)
            case .set(let set, let min, let max):
                var run = 0
                while run < max, pos + run < text.count, set.contains(text[pos + run]) { run += 1 }
                guard run >= min else { return false }
                for n in stride(from: run, through: min, by: -1)
                where sequence(seq, from: i + 1, at: pos + n, then: rest) {
                    return true
                }
                return false
            case .group(let capture, let alts):
                return alternatives(alts, at: pos) { end in
                    guard let capture else { return self.sequence(seq, from: i + 1, at: end, then: rest) }
                    let saved = self.captures[capture]
                    self.captures[capture] = pos..<end
                    if self.sequence(seq, from: i + 1, at: end, then: rest) { return true }
                    self.captures[capture] = saved
                    return false
                }
            }
        }
    }

    /// Recursive descent over the pattern's bytes; nil for anything outside the subset.
    struct Parser {
        let bytes: [UInt8]
        var pos = 0
        var names: [String] = []
        var depth = 0
        /// Items parsed so far: the matcher takes a stack frame per item on the path, so a
        /// long pattern goes to Regex (whose VM does not recurse) instead of deep recursion.
        var items = 0
        static let maxItems = 256

        /// Characters a backslash turns into literals.
        static let escapable = Set("\\^$.|?*+()[]{}-/".utf8)
        /// Literals allowed as they are in a class: printable ASCII but the class syntax
        /// (`[ ] \ ^ -`, and `& ~ :` of set operations and POSIX classes).
        static func classLiteral(_ b: UInt8) -> Bool {
            (0x20...0x7E).contains(b) && !Set("[]\\^-&~:".utf8).contains(b)
        }

        var peek: UInt8? { pos < bytes.count ? bytes[pos] : nil }

        mutating func take(_ s: String) -> Bool {
            let u = Array(s.utf8)
            guard bytes.count - pos >= u.count, Array(bytes[pos..<pos + u.count]) == u else { return false }
            pos += u.count
            return true
        }

        mutating func parsePattern() -> [[Node]]? {
            _ = take("(?s)")  // dot-all: no text this matcher decides holds a newline
            guard let alts = parseAlternatives(), pos == bytes.count else { return nil }
            return alts
        }

        mutating func parseAlternatives() -> [[Node]]? {
            depth += 1
            defer { depth -= 1 }
            guard depth <= 16 else { return nil }
            var alts: [[Node]] = []
            while true {
                guard let seq = parseSequence() else { return nil }
                alts.append(seq)
                guard take("|") else { return alts }
            }
        }

        mutating func parseSequence() -> [Node]? {
            var seq: [Node] = []
            while let c = peek, c != UInt8(ascii: "|"), c != UInt8(ascii: ")") {
                pos += 1
                items += 1
                guard items <= Self.maxItems else { return nil }
                switch c {
                case UInt8(ascii: "("):
                    var capture: Int?
                    if take("?:") {
                    } else if take("?<") {
                        let from = pos
                        while let n = peek, n == UInt8(ascii: "_") || ByteSet.word.contains(n) { pos += 1 }
                        let name = bytes[from..<pos]
                        guard let first = name.first, !ByteSet.digits.contains(first), take(">") else { return nil }
                        let s = String(decoding: name, as: UTF8.self)
                        guard !names.contains(s) else { return nil }
                        capture = names.count
                        names.append(s)
                    } else if peek == UInt8(ascii: "?") {
                        return nil
                    }
                    guard let alts = parseAlternatives(), take(")") else { return nil }
                    seq.append(.group(capture: capture, alternatives: alts))
                    if let q = peek, "?*+{".utf8.contains(q) { return nil }
                    continue
                case UInt8(ascii: "^"), UInt8(ascii: "$"):
                    seq.append(c == UInt8(ascii: "^") ? .start : .end)
                    if let q = peek, "?*+{".utf8.contains(q) { return nil }
                    continue
                case UInt8(ascii: "."):
                    seq.append(.set(.all, min: 1, max: 1))
                case UInt8(ascii: "["):
                    guard let set = parseClass() else { return nil }
                    seq.append(.set(set, min: 1, max: 1))
                case UInt8(ascii: "\\"):
                    guard let set = parseEscape() else { return nil }
                    seq.append(.set(set, min: 1, max: 1))
                case _ where "]{}?*+".utf8.contains(c):
                    return nil
                default:
                    seq.append(.set(.of(c...c), min: 1, max: 1))
                }
                guard let (min, max) = parseQuantifier() else { return nil }
                if case .set(let set, 1, 1) = seq.last! { seq[seq.count - 1] = .set(set, min: min, max: max) }
            }
            return seq
        }

        /// The repeat after a single-character item: (1, 1) when there is none, nil when it is
        /// outside the subset (lazy, possessive, stacked, or malformed).
        mutating func parseQuantifier() -> (Int, Int)? {
            var q: (Int, Int)
            if take("?") {
                q = (0, 1)
            } else if take("*") {
                q = (0, Int.max)
            } else if take("+") {
                q = (1, Int.max)
            } else if take("{") {
                guard let n = parseNumber() else { return nil }
                if take("}") {
                    q = (n, n)
                } else {
                    guard take(",") else { return nil }
                    if take("}") {
                        q = (n, Int.max)
                    } else {
                        guard let m = parseNumber(), take("}"), n <= m else { return nil }
                        q = (n, m)
                    }
                }
            } else {
                return (1, 1)
            }
            if let next = peek, "?*+{".utf8.contains(next) { return nil }
            return q
        }

        mutating func parseNumber() -> Int? {
            let from = pos
            while let d = peek, ByteSet.digits.contains(d), pos - from < 4 { pos += 1 }
            guard pos > from, let n = Int(String(decoding: bytes[from..<pos], as: UTF8.self)), n <= 1000 else {
                return nil
            }
            if let d = peek, ByteSet.digits.contains(d) { return nil }
            return n
        }

        mutating func parseEscape() -> ByteSet? {
            guard let e = peek else { return nil }
            pos += 1
            switch e {
            case UInt8(ascii: "d"): return .digits
            case UInt8(ascii: "D"): return ByteSet.digits.inverted
            case UInt8(ascii: "w"): return .word
            case UInt8(ascii: "W"): return ByteSet.word.inverted
            case UInt8(ascii: "s"): return .space
            case UInt8(ascii: "S"): return ByteSet.space.inverted
            case _ where Self.escapable.contains(e): return .of(e...e)
            default: return nil
            }
        }

        /// After `[`: literals, ranges and class escapes up to `]`.
        mutating func parseClass() -> ByteSet? {
            let negated = take("^")
            var set = ByteSet()
            var members = 0
            while true {
                guard let c = peek else { return nil }
                if c == UInt8(ascii: "]") {
                    guard members > 0 else { return nil }
                    pos += 1
                    return negated ? set.inverted : set
                }
                pos += 1
                members += 1
                if c == UInt8(ascii: "\\") {
                    guard let s = parseEscape() else { return nil }
                    set.formUnion(s)
                    continue
                }
                guard Self.classLiteral(c) else { return nil }
                if take("-") {
                    guard let d = peek, Self.classLiteral(d), c <= d else { return nil }
                    pos += 1
                    set.insert(c...d)
                } else {
                    set.insert(c...c)
                }
            }
        }
    }
}
