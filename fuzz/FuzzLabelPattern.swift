// libFuzzer target: differential test of ASCIIPattern against the Swift Regex engine.
// Input: a pattern, then texts, separated by 0xFF bytes (never in a pattern ASCIIPattern
// accepts, and any byte >= 0x80 in a text leaves it undecided anyway, so texts keep NUL and
// every other byte the matcher decides on). Invariants: no crash; a pattern
// ASCIIPattern accepts is one Regex compiles; for every text ASCIIPattern decides on, its
// whole match and named groups are exactly Regex's.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLabelPattern(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let parts = UnsafeBufferPointer(start: data, count: size).split(separator: 0xFF, omittingEmptySubsequences: false)
    // Both engines backtrack, so a pattern of many alternatives takes exponential time in
    // either alike (a 220-byte input took 65 s, about 1.2 s per text in each engine): keep the
    // patterns and texts label-sized, so the time goes to many cases instead.
    guard let first = parts.first, first.count <= 80, first.filter({ $0 == UInt8(ascii: "|") }).count <= 6,
        let pattern = String(validating: first, as: UTF8.self), let fast = ASCIIPattern(pattern)
    else { return 0 }
    let regex: Regex<AnyRegexOutput>
    do { regex = try Regex(pattern) } catch {
        fatalError("ASCIIPattern accepted \(pattern.debugDescription), which Regex refuses: \(error)")
    }
    for part in parts.dropFirst().prefix(8) where part.count <= 64 {
        let text = String(decoding: part, as: UTF8.self)
        let got = fast.wholeMatch(text)
        if got == .undecided { continue }
        let want = ASCIIPattern.outcome(of: regex, groups: fast.groupNames, in: text)
        if got != want {
            fatalError(
                "pattern \(pattern.debugDescription) text \(text.debugDescription): ASCIIPattern \(got), Regex \(want)"
            )
        }
    }
    return 0
}
