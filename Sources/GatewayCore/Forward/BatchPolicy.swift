/// How much of the waiting queue goes into one POST: at most `maxCount` envelopes and at most
/// `maxBytes` of them, in sequence order — but always at least one, so an envelope larger than
/// the byte bound still leaves (alone) instead of blocking the queue behind it.
public enum BatchPolicy {
    public static func take(sizes: [Int], maxCount: Int, maxBytes: Int) -> Int {
        var n = 0, bytes = 0
        for size in sizes.prefix(maxCount) {
            if n > 0 && bytes + size > maxBytes { break }
            n += 1
            bytes += size
        }
        return n
    }
}
