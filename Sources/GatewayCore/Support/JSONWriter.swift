/// Writes JSON text straight into bytes, for the few documents gatewayd makes at the rate of
/// scans (an envelope per scan): Foundation's `JSONEncoder` builds a tree of boxed values and
/// sorts its keys each time, which was most of the cost of an envelope's JSON.
///
/// Strings are escaped exactly as `JSONEncoder` with `.withoutEscapingSlashes` does (`"`, `\`,
/// `\b \t \n \f \r`, other controls as `\u00xx`, everything else as UTF-8), so documents written
/// here and by `JSONEncoder` with sorted keys are byte for byte the same (JSONWriterTests). The
/// caller writes keys in sorted order.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    public mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func raw(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }

    public mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        let plain = s.withUTF8 { u -> Bool in
            // Most strings (ids, base64, labels) need no escaping: copy them whole.
            guard !u.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                return false
            }
            bytes.append(contentsOf: u)
            return true
        }
        if plain {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes += [0x5C, 0x22]
            case UInt8(ascii: "\\"): bytes += [0x5C, 0x5C]
            case 0x08: bytes += [0x5C, UInt8(ascii: "b")]
            case 0x09: bytes += [0x5C, UInt8(ascii: "t")]
            case 0x0A: bytes += [0x5C, UInt8(ascii: "n")]
            case 0x0C: bytes += [0x5C, UInt8(ascii: "f")]
            case 0x0D: bytes += [0x5C, UInt8(ascii: "r")]
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func integer(_ v: some BinaryInteger) {
        bytes.append(contentsOf: String(v).utf8)
    }

    /// `"key":` — `key` must need no escaping (the callers' keys are fixed ASCII names).
    public mutating func key(_ k: StaticString, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        raw(k)
        bytes += [UInt8(ascii: "\""), UInt8(ascii: ":")]
    }
}

extension JSONWriter {
    /// A number as `JSONEncoder` writes it: Swift's shortest round-trip form, without a
    /// trailing `.0` (checked on 200,000 doubles, including random bit patterns).
    public mutating func double(_ v: Double) throws {
        guard v.isFinite else {
            throw EncodingError.invalidValue(v, .init(codingPath: [], debugDescription: "JSON has no \(v)"))
        }
        var d = v.description
        if d.hasSuffix(".0") { d.removeLast(2) }
        bytes.append(contentsOf: d.utf8)
    }

    public mutating func bool(_ v: Bool) { v ? raw("true") : raw("false") }

    public mutating func strings(_ a: [String]) {
        raw("[")
        for (i, s) in a.enumerated() {
            if i > 0 { raw(",") }
            string(s)
        }
        raw("]")
    }

    /// `[e, …]` with each element written by `write`.
    public mutating func array<T>(_ a: [T], _ write: (inout JSONWriter, T) throws -> Void) rethrows {
        raw("[")
        for (i, e) in a.enumerated() {
            if i > 0 { raw(",") }
            try write(&self, e)
        }
        raw("]")
    }

    /// An object: `body` writes its members with `member`, in sorted key order.
    public mutating func object(_ body: (inout ObjectWriter) throws -> Void) rethrows {
        raw("{")
        var o = ObjectWriter(w: self)
        bytes = []
        try body(&o)
        self = o.w
        raw("}")
    }

    /// Writes the members of one object; a nil value writes nothing (as `encodeIfPresent`).
    public struct ObjectWriter {
        var w: JSONWriter
        var first = true

        mutating func next(_ k: StaticString) {
            w.key(k, first: first)
            first = false
        }

        public mutating func string(_ k: StaticString, _ v: String?) {
            guard let v else { return }
            next(k)
            w.string(v)
        }
        public mutating func integer<I: BinaryInteger>(_ k: StaticString, _ v: I?) {
            guard let v else { return }
            next(k)
            w.integer(v)
        }
        public mutating func double(_ k: StaticString, _ v: Double?) throws {
            guard let v else { return }
            next(k)
            try w.double(v)
        }
        public mutating func bool(_ k: StaticString, _ v: Bool?) {
            guard let v else { return }
            next(k)
            w.bool(v)
        }
        public mutating func strings(_ k: StaticString, _ v: [String]?) {
            guard let v else { return }
            next(k)
            w.strings(v)
        }
        public mutating func value<T: JSONWritable>(_ k: StaticString, _ v: T?) throws {
            guard let v else { return }
            next(k)
            try v.writeJSON(to: &w)
        }
        /// A member whose value `write` writes (for values that are no `JSONWritable` type).
        public mutating func member(_ k: StaticString, _ write: (inout JSONWriter) throws -> Void) rethrows {
            next(k)
            try write(&w)
        }
        public mutating func values<T: JSONWritable>(_ k: StaticString, _ v: [T]?) throws {
            guard let v else { return }
            next(k)
            try w.array(v) { try $1.writeJSON(to: &$0) }
        }
    }
}

/// A value that writes its own canonical JSON (sorted keys, absent optionals left out), the
/// same bytes `JSONEncoder` with `.sortedKeys, .withoutEscapingSlashes` makes of it.
public protocol JSONWritable {
    func writeJSON(to w: inout JSONWriter) throws
}
