/// fnmatch-style globbing with `*` and `?`, iterative (no recursion blow-up on long names).
/// `?` matches one character. Field names and patterns are nearly always ASCII (without CR,
/// whose CR LF pair is one character), where characters are bytes: those are matched on their
/// UTF-8 without making `Character`s (the redactor asks for every field of every rule, per scan).
public enum Glob {
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        var pattern = pattern
        var text = text
        let plain: Bool? = pattern.withUTF8 { p in
            text.withUTF8 { t in
                func plain(_ b: UnsafeBufferPointer<UInt8>) -> Bool { !b.contains { $0 >= 0x80 || $0 == 0x0D } }
                return plain(p) && plain(t) ? match(p, t, any: UInt8(ascii: "?"), star: UInt8(ascii: "*")) : nil
            }
        }
        return plain ?? match(Array(pattern), Array(text), any: "?", star: "*")
    }

    static func match<C: RandomAccessCollection>(_ p: C, _ t: C, any: C.Element, star starSymbol: C.Element) -> Bool
    where C.Index == Int, C.Element: Equatable {
        var pi = 0
        var ti = 0
        var star = -1
        var mark = 0
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
