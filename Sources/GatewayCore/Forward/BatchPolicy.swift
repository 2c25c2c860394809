/// How much of the waiting queue goes into one POST: at most `maxCount` envelopes and at most
/// `maxBytes` of them, in sequence order — but always at least one, so an envelope larger than
/// the byte bound still leaves (alone) instead of blocking the queue behind it.
public enum BatchPolicy {
    public static func take(sizes: [Int], maxCount: Int, maxBytes: Int) -> Int {
        var n = 0
        var bytes = 0
        for size in sizes.prefix(maxCount) {
            if n > 0 && bytes + size > maxBytes { break }
            n += 1
            bytes += size
        }
        return n
    }

    /// `take` for a request body: `{"envelopes":[` + the envelopes joined by commas + `]}` must
    /// stay within `maxBodyBytes`, since that is what a server's body limit counts.
    public static func take(sizes: [Int], maxCount: Int, maxBodyBytes: Int) -> Int {
        take(sizes: sizes.map { $0 + 1 }, maxCount: maxCount, maxBytes: maxBodyBytes - bodyFraming + 1)
    }

    /// `{"envelopes":[` and `]}`.
    public static let bodyFraming = 16

    /// Whether the forwarder waits `linger_ms` before sending what it found: only when a
    /// burst is under way — two or more envelopes waiting, fewer than a full batch — and only
    /// once per batch. A lone scan goes at once: at a steady trickle of scans each one would
    /// otherwise wait the whole linger.
    public static func shouldLinger(
        waiting: Int,
        limit: Int,
        lingerEnabled: Bool,
        alreadyLingered: Bool,
        circuitClosed: Bool
    ) -> Bool {
        lingerEnabled && !alreadyLingered && circuitClosed && waiting >= 2 && waiting < limit
    }
}
