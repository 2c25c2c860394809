/// 125 kHz badge ids: EM4100 (a version/customer byte and a 32-bit id, as 10 hex digits from a
/// reader module) and Wiegand 26/34 frames (even parity, facility code, card number, odd
/// parity — HID's H10301 layout for 26 bits, the common 34-bit layout with a 16-bit facility).
public struct BadgeID: Sendable, Equatable, Codable {
    public var format: String
    public var facility: UInt32?
    public var card: UInt64
    /// The id as badge printers and access-control systems show it.
    public var display: String
}

public enum BadgeIDError: Error, Equatable, CustomStringConvertible {
    case notHex
    case wrongLength(expected: String)
    case parity

    public var description: String {
        switch self {
        case .notHex: return "not hexadecimal"
        case .wrongLength(let e): return "wrong length: expected \(e)"
        case .parity: return "Wiegand parity does not hold: a misread"
        }
    }
}

public enum BadgeIDs {
    /// 10 hex digits: version/customer (2) + id (8); shown as the decimal id, as printed on cards.
    public static func em4100(_ hex: String) throws(BadgeIDError) -> BadgeID {
        guard hex.count == 10 else { throw .wrongLength(expected: "10 hex digits") }
        guard let v = UInt64(hex, radix: 16) else { throw .notHex }
        let card = v & 0xFFFF_FFFF
        return BadgeID(format: "em4100", facility: UInt32(v >> 32), card: card, display: String(card))
    }

    /// A Wiegand frame of `bits` (26 or 34) bits, given as an integer (first bit most significant).
    public static func wiegand(_ raw: UInt64, bits: Int) throws(BadgeIDError) -> BadgeID {
        guard bits == 26 || bits == 34 else { throw .wrongLength(expected: "26 or 34 bits") }
        guard raw >> UInt64(bits) == 0 else { throw .wrongLength(expected: "\(bits) bits") }
        let half = (bits - 2) / 2
        let data = (raw >> 1) & ((1 << UInt64(bits - 2)) - 1)
        let firstHalf = data >> UInt64(half)
        let secondHalf = data & ((1 << UInt64(half)) - 1)
        let evenBit = (raw >> UInt64(bits - 1)) & 1
        let oddBit = raw & 1
        // Leading bit: even parity over the first half; trailing bit: odd parity over the second.
        guard (UInt64(firstHalf.nonzeroBitCount) + evenBit) % 2 == 0,
            (UInt64(secondHalf.nonzeroBitCount) + oddBit) % 2 == 1
        else { throw .parity }
        let cardBits = 16
        let facility = UInt32(data >> UInt64(cardBits))
        let card = data & 0xFFFF
        return BadgeID(format: "wiegand\(bits)", facility: facility, card: card, display: "\(facility):\(card)")
    }

    /// Wiegand as readers report it in text: "W26:" or "W34:" followed by hex.
    public static func wiegand(text: String) throws(BadgeIDError) -> BadgeID {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let bits = Int(parts[0].dropFirst()), parts[0].first == "W" else {
            throw .wrongLength(expected: "W26:HEX or W34:HEX")
        }
        guard let v = UInt64(parts[1], radix: 16) else { throw .notHex }
        return try wiegand(v, bits: bits)
    }
}
