/// UUID version 7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, then random bits.
///
/// Ids sort by creation time, which keeps the spool's and the server's indexes append-mostly.
/// Within one millisecond the generator increments the 12-bit `rand_a` field as a counter
/// (RFC 9562 §6.2, method 1), so ids made by one generator are strictly increasing even when
/// the wall clock stands still or steps back a little.
public struct UUIDv7Generator: Sendable {
    private var lastMillis: UInt64 = 0
    private var counter: UInt16 = 0

    public init() {}

    public mutating func next(unixMillis: UInt64, using rng: inout some RandomNumberGenerator) -> String {
        var ms = unixMillis
        if ms <= lastMillis {
            // Same millisecond or the clock stepped back: continue the previous one's sequence.
            ms = lastMillis
            if counter >= 0x0FFF {
                ms += 1
                counter = UInt16.random(in: 0...0x01FF, using: &rng)
            } else {
                counter += 1
            }
        } else {
            counter = UInt16.random(in: 0...0x01FF, using: &rng)
        }
        lastMillis = ms
        let randB = UInt64.random(in: 0...UInt64.max, using: &rng)
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: ms >> (8 * (5 - UInt64(i)))) }
        bytes[6] = 0x70 | UInt8(counter >> 8)
        bytes[7] = UInt8(truncatingIfNeeded: counter)
        for i in 0..<8 { bytes[8 + i] = UInt8(truncatingIfNeeded: randB >> (8 * UInt64(7 - i))) }
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        return Self.format(bytes)
    }

    static func format(_ b: [UInt8]) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (i, byte) in b.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
