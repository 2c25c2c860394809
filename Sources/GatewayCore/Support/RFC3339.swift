/// RFC 3339 timestamps in UTC with millisecond precision, computed without Foundation's
/// formatters (which are slow and locale-sensitive) from nanoseconds since the Unix epoch.
public enum RFC3339 {
    public static func format(unixNanos: Int64) -> String {
        let millis = floorDiv(unixNanos, 1_000_000)
        let seconds = floorDiv(millis, 1000)
        let ms = Int(millis - seconds * 1000)
        let days = floorDiv(seconds, 86_400)
        let secOfDay = Int(seconds - days * 86_400)
        let (y, m, d) = civil(fromDays: days)
        // Written digit by digit into the string's own storage: every event is stamped, so
        // this runs once or twice per scan (docs/performance.md). Int64 nanoseconds span the
        // years 1677–2262: always four digits.
        return String(unsafeUninitializedCapacity: 24) { buf in
            var i = 0
            func put(_ v: Int, _ width: Int) {
                var v = v
                for k in stride(from: width - 1, through: 0, by: -1) {
                    buf[i + k] = UInt8(48 + v % 10)
                    v /= 10
                }
                i += width
            }
            func sep(_ c: Character) {
                buf[i] = c.asciiValue!
                i += 1
            }
            put(y, 4)
            sep("-")
            put(m, 2)
            sep("-")
            put(d, 2)
            sep("T")
            put(secOfDay / 3600, 2)
            sep(":")
            put(secOfDay / 60 % 60, 2)
            sep(":")
            put(secOfDay % 60, 2)
            sep(".")
            put(ms, 3)
            sep("Z")
            return i
        }
    }

    /// The UTC calendar year of an instant (what `format` would print first).
    public static func year(unixNanos: Int64) -> Int {
        civil(fromDays: floorDiv(floorDiv(unixNanos, 1_000_000_000), 86_400)).0
    }

    /// Parses the UTC form `format` writes (`YYYY-MM-DDTHH:MM:SS[.fraction]Z`); nil otherwise.
    public static func parseUnixNanos(_ text: String) -> Int64? {
        let c = Array(text.utf8)
        guard c.count >= 20, c.last == UInt8(ascii: "Z"), c[4] == UInt8(ascii: "-"), c[7] == UInt8(ascii: "-"),
            c[10] == UInt8(ascii: "T") || c[10] == UInt8(ascii: "t"), c[13] == UInt8(ascii: ":"),
            c[16] == UInt8(ascii: ":")
        else { return nil }
        func num(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard (48...57).contains(c[i]) else { return nil }
                v = v * 10 + Int(c[i] - 48)
            }
            return v
        }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13),
            let mi = num(14..<16), let se = num(17..<19), (1...12).contains(mo), (1...31).contains(d),
            h < 24, mi < 60, se < 61
        else { return nil }
        var frac: Int64 = 0
        if c[19] == UInt8(ascii: ".") {
            let digits = c[20..<(c.count - 1)]
            guard !digits.isEmpty, digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
            for (k, ch) in digits.prefix(9).enumerated() { frac += Int64(ch - 48) * Int64(pow10[8 - k]) }
        } else if c.count != 20 {
            return nil
        }
        let secs = days(fromCivil: y, mo, d) * 86_400 + Int64(h * 3600 + mi * 60 + se)
        return secs * 1_000_000_000 + frac
    }

    private static let pow10 = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000]

    /// Howard Hinnant's civil date → days algorithm (the inverse of `civil(fromDays:)`).
    static func days(fromCivil y0: Int, _ m: Int, _ d: Int) -> Int64 {
        let y = Int64(m <= 2 ? y0 - 1 : y0)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(m > 2 ? m - 3 : m + 9)
        let doy = (153 * mp + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Howard Hinnant's days → civil date algorithm (proleptic Gregorian).
    static func civil(fromDays z0: Int64) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }
}
