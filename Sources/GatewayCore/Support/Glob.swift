/// fnmatch-style globbing with `*` and `?`, iterative (no recursion blow-up on long names).
/// `?` matches one character. Field names and patterns are nearly always ASCII (without CR,
/// whose CR LF pair is one character), where characters are bytes: those are matched on their
/// UTF-8 without making `Character`s (the redactor asks for every field of every rule, per scan).
public enum Glob {
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        func plain(_ s: String) -> Bool { !s.utf8.contains { $0 >= 0x80 || $0 == 0x0D } }
        if plain(pattern) && plain(text) {
            return match(Array(pattern.utf8), Array(text.utf8), any: UInt8(ascii: "?"), star: UInt8(ascii: "*"))
        }
        return match(Array(pattern), Array(text), any: "?", star: "*")
    }

    static func match<E: Equatable>(_ p: [E], _ t: [E], any: E, star starSymbol: E) -> Bool {
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == any || p[pi] == t[ti]) {
                pi += 1
                ti += 1
            } else if pi < p.count && p[pi] == starSymbol {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == starSymbol { pi += 1 }
        return pi == p.count
    }
}
