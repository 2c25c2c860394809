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
