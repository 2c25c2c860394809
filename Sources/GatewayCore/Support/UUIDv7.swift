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
        // unix_ts_ms ‖ ver 7 ‖ rand_a (the counter), then var 0b10 ‖ rand_b.
        return Self.format(
            (ms << 16 | 0x7000 | UInt64(counter & 0x0FFF), 0x8000_0000_0000_0000 | (randB & 0x3FFF_FFFF_FFFF_FFFF))
        )
    }

    /// The 8-4-4-4-12 hex form of the two halves, big-endian.
    static func format(_ b: (UInt64, UInt64)) -> String {
        String(unsafeUninitializedCapacity: 36) { out in
            let hex: StaticString = "0123456789abcdef"
            var i = 0
            for half in 0..<2 {
                let word = half == 0 ? b.0 : b.1
                for k in 0..<8 {
                    let byte = UInt8(truncatingIfNeeded: word >> (8 * UInt64(7 - k)))
                    let index = half * 8 + k
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        out[i] = UInt8(ascii: "-")
                        i += 1
                    }
                    out[i] = hex.utf8Start[Int(byte >> 4)]
                    out[i + 1] = hex.utf8Start[Int(byte & 0xF)]
                    i += 2
                }
            }
            return i
        }
    }
}
