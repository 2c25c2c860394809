/// Reads an `EventHeader` out of a capture event's JSON in one pass over the bytes, without
/// building the document: `JSONDecoder` made a tree of the whole event (decoded tag, location,
/// clock …) to take eight fields, which was a tenth of case-server's work per envelope while a
/// terminal drained.
///
/// It is a fast path, not a second JSON dialect: the whole document is checked against RFC 8259
/// (UTF-8, string escapes, numbers, nesting, nothing after the object), and it answers nil for
/// anything it is not sure to read exactly as `JSONDecoder` would — a key written with escapes,
/// a field given twice, a number in exponent form, a lone surrogate. The caller then asks
/// `JSONDecoder`, so the result is always `JSONDecoder`'s; only the cost differs. The fuzz target
/// FuzzEventHeader checks that whatever this accepts, `JSONDecoder` decodes to the same header.
public enum EventHeaderReader {
    /// The header, or nil: not JSON, not a v1 header, or a form this reader leaves to
    /// `JSONDecoder`.
    public static func read(_ bytes: [UInt8]) -> EventHeader? {
        bytes.withUnsafeBufferPointer { b in
            var p = Parser(b: b)
            return p.document()
        }
    }

    /// Deeper than any event nests (4); deeper documents are left to `JSONDecoder`.
    static let maxDepth = 64

    struct Parser {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0
        var depth = 0

        init(b: UnsafeBufferPointer<UInt8>) { self.b = b }

        mutating func document() -> EventHeader? {
            var v: Int?
            var id: String?
            var device: String?
            var seq: UInt64?
            var kind: String??
            var tag: TagClassification??
            var op: String??
            var captured: String??
            skipSpace()
            let ok = object { p, key in
                switch key {
                case "v":
                    guard v == nil, let n = p.integer(), let x = Int(exactly: n.magnitude), !n.negative || x == 0 else {
                        return false
                    }
                    v = x
                case "seq":
                    guard seq == nil, let n = p.integer(), !n.negative || n.magnitude == 0 else { return false }
                    seq = n.magnitude
                case "id":
                    guard id == nil, let s = p.string() else { return false }
                    id = s
                case "device":
                    guard device == nil, let s = p.string() else { return false }
                    device = s
                case "kind":
                    guard kind == nil, let s = p.optionalString() else { return false }
                    kind = s
                case "operator":
                    guard op == nil, let s = p.optionalString() else { return false }
                    op = s
                case "captured_at":
                    guard captured == nil, let s = p.optionalString() else { return false }
                    captured = s
                case "tag":
                    guard tag == nil, let t = p.tagValue() else { return false }
                    tag = t
                default:
                    return p.skipValue()
                }
                return true
            }
            skipSpace()
            guard ok, i == b.count, let v, let id, let device, let seq else { return nil }
            return EventHeader(
                v: v,
                id: id,
                device: device,
                seq: seq,
                kind: kind ?? nil,
                tag: tag ?? nil,
                operatorID: op ?? nil,
                capturedAt: captured ?? nil
            )
        }

        /// `null` or `{"class": …, "schema": …, "subject": …}` (other members skipped).
        mutating func tagValue() -> TagClassification?? {
            if literal("null") { return .some(nil) }
            var kind: TagClass?
            var schema: String??
            var subject: String??
            let ok = object { p, key in
                switch key {
                case "class":
                    guard kind == nil, let s = p.string(), let k = TagClass(rawValue: s) else { return false }
                    kind = k
                case "schema":
                    guard schema == nil, let s = p.optionalString() else { return false }
                    schema = s
                case "subject":
                    guard subject == nil, let s = p.optionalString() else { return false }
                    subject = s
                default:
                    return p.skipValue()
                }
                return true
            }
            guard ok, let kind else { return nil }
            return .some(TagClassification(kind: kind, schema: schema ?? nil, subject: subject ?? nil))
        }

        /// `{ "name": value, … }` with each member's value read by `member` (given the name,
        /// positioned at the value; false refuses the document).
        mutating func object(_ member: (inout Parser, String) -> Bool) -> Bool {
            guard take(UInt8(ascii: "{")) else { return false }
            depth += 1
            defer { depth -= 1 }
            guard depth <= EventHeaderReader.maxDepth else { return false }
            skipSpace()
            if take(UInt8(ascii: "}")) { return true }
            repeat {
                skipSpace()
                guard let key = key() else { return false }
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return false }
                skipSpace()
                guard member(&self, key) else { return false }
                skipSpace()
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "}"))
        }

        // MARK: Scalars

        mutating func skipSpace() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        }

        mutating func take(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            guard b.count - i >= n else { return false }
            for k in 0..<n where b[i + k] != word.utf8Start[k] { return false }
            i += n
            return true
        }

        /// A member name; nil for one with escapes (left to `JSONDecoder`, which unescapes
        /// names before it matches them).
        mutating func key() -> String? {
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
            let start = i + 1
            var j = start
            while j < b.count, b[j] != UInt8(ascii: "\"") {
                guard b[j] != UInt8(ascii: "\\"), b[j] >= 0x20 else { return nil }
                j += 1
            }
            guard j < b.count, let s = utf8(start..<j) else { return nil }
            i = j + 1
            return s
        }

        /// `null` → .some(nil); a string → .some(s); anything else → nil.
        mutating func optionalString() -> String?? {
            if literal("null") { return .some(nil) }
            guard let s = string() else { return nil }
            return .some(s)
        }

        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = i
            // Most strings (ids, names) have no escapes: one scan, one copy.
            while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\") {
                guard b[i] >= 0x20 else { return nil }
                i += 1
            }
            guard i < b.count else { return nil }
            if b[i] == UInt8(ascii: "\"") {
                defer { i += 1 }
                return utf8(start..<i)
            }
            var out = Array(b[start..<i])
            while i < b.count {
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    return String(validating: out, as: UTF8.self)
                }
                guard c >= 0x20 else { return nil }
                if c != UInt8(ascii: "\\") {
                    out.append(c)
                    i += 1
                    continue
                }
                i += 1
                guard i < b.count else { return nil }
                let e = b[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard let scalar = escapedScalar() else { return nil }
                    out.append(contentsOf: String(Character(scalar)).utf8)
                default: return nil
                }
            }
            return nil
        }

        /// After `\u`: four hex digits, a surrogate pair as `\uD8xx\uDCxx`; nil for a lone
        /// surrogate.
        mutating func escapedScalar() -> Unicode.Scalar? {
            guard let hi = hex4() else { return nil }
            if (0xD800..<0xDC00).contains(hi) {
                guard literal("\\u"), let lo = hex4(), (0xDC00..<0xE000).contains(lo) else { return nil }
                return Unicode.Scalar(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
            }
            return Unicode.Scalar(hi)
        }

        mutating func hex4() -> UInt32? {
            guard b.count - i >= 4 else { return nil }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = b[i]
                let d: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
                default: return nil
                }
                v = v << 4 | UInt32(d)
                i += 1
            }
            return v
        }

        func utf8(_ r: Range<Int>) -> String? {
            String(validating: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self)
        }

        /// `-?(0|[1-9][0-9]*)` that fits in 64 bits; nil for fractions, exponents, overflow.
        mutating func integer() -> (negative: Bool, magnitude: UInt64)? {
            let negative = take(UInt8(ascii: "-"))
            guard i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") else { return nil }
            if b[i] == UInt8(ascii: "0") {
                i += 1
            } else {
                var v: UInt64 = 0
                while i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") {
                    let (m, o1) = v.multipliedReportingOverflow(by: 10)
                    let (s, o2) = m.addingReportingOverflow(UInt64(b[i] - UInt8(ascii: "0")))
                    guard !o1, !o2 else { return nil }
                    v = s
                    i += 1
                }
                guard i >= b.count || !Self.numberTail(b[i]) else { return nil }
                return (negative, v)
            }
            guard i >= b.count || !Self.numberTail(b[i]) else { return nil }
            return (negative, 0)
        }

        static func numberTail(_ c: UInt8) -> Bool {
            c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
        }

        // MARK: Values skipped (checked, not kept)

        mutating func skipValue() -> Bool {
            guard i < b.count else { return false }
            switch b[i] {
            case UInt8(ascii: "\""): return string() != nil
            case UInt8(ascii: "{"): return skipContainer(close: UInt8(ascii: "}"), members: true)
            case UInt8(ascii: "["): return skipContainer(close: UInt8(ascii: "]"), members: false)
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return skipNumber()
            }
        }

        mutating func skipContainer(close: UInt8, members: Bool) -> Bool {
            depth += 1
            defer { depth -= 1 }
            guard depth <= EventHeaderReader.maxDepth else { return false }
            i += 1
            skipSpace()
            if take(close) { return true }
            repeat {
                skipSpace()
                if members {
                    guard i < b.count, b[i] == UInt8(ascii: "\""), string() != nil else { return false }
                    skipSpace()
                    guard take(UInt8(ascii: ":")) else { return false }
                    skipSpace()
                }
                guard skipValue() else { return false }
                skipSpace()
            } while take(UInt8(ascii: ","))
            return take(close)
        }

        /// RFC 8259 `number`.
        mutating func skipNumber() -> Bool {
            func digits(_ p: inout Parser) -> Int {
                let s = p.i
                while p.i < p.b.count, p.b[p.i] >= UInt8(ascii: "0"), p.b[p.i] <= UInt8(ascii: "9") { p.i += 1 }
                return p.i - s
            }
            _ = take(UInt8(ascii: "-"))
            guard i < b.count else { return false }
            if b[i] == UInt8(ascii: "0") {
                i += 1
            } else {
                guard digits(&self) > 0 else { return false }
            }
            if take(UInt8(ascii: ".")) {
                guard digits(&self) > 0 else { return false }
            }
            if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
                if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
                guard digits(&self) > 0 else { return false }
            }
            return true
        }
    }
}
