/// HTTP dates (RFC 9110 §5.6.7): the preferred IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`,
/// which is what servers send in `Date`. The probe compares the server's `Date` with the
/// terminal's clock; the obsolete RFC 850 and asctime forms are not accepted (no current
/// server sends them, and a misparse would report a false skew).
public enum HTTPDate {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Seconds since the Unix epoch, or nil if `text` is not an IMF-fixdate.
    public static func parse(_ text: String) -> Int64? {
        let p = text.split(separator: " ", omittingEmptySubsequences: false)
        guard p.count == 6, p[0].count == 4, p[0].hasSuffix(","), p[5] == "GMT",
            p[1].count == 2, let day = Int(p[1]), let monthIndex = months.firstIndex(of: String(p[2])),
            p[3].count == 4, let year = Int(p[3])
        else { return nil }
        let t = p[4].split(separator: ":", omittingEmptySubsequences: false)
        guard t.count == 3, t.allSatisfy({ $0.count == 2 }), let h = Int(t[0]), let m = Int(t[1]), let s = Int(t[2]),
            (1...31).contains(day), (0...23).contains(h), (0...59).contains(m), (0...60).contains(s)
        else { return nil }
        return RFC3339.days(fromCivil: year, monthIndex + 1, day) * 86400 + Int64(h * 3600 + m * 60 + s)
    }
}
