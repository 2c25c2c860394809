/// Hexadecimal text to bytes, for the places that take hex from people or readers (EPC from
/// UHF readers, NDEF dumps, `gatewayd decode --hex`). Whitespace is ignored.
public enum Hex {
    /// Lower-case hex of `bytes`.
    public static func string(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func bytes(_ s: String) -> [UInt8]? {
        let h = Array(s.utf8.filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D })
        guard !h.isEmpty, h.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x41...0x46: return c - 0x37
            case 0x61...0x66: return c - 0x57
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(h.count / 2)
        var i = 0
        while i < h.count {
            guard let hi = nibble(h[i]), let lo = nibble(h[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
