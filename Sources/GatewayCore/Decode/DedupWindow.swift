/// Turns repeated reads of one tag into one scan: RFID readers report a tag for as long as it
/// is in the field, scanners in continuous mode re-read a label. A read of the same bytes
/// within `window` of the last one is a repeat; the window slides with each repeat, so a tag
/// held in front of the reader stays one scan. Bounded: at most `capacity` tags remembered,
/// the least recently seen forgotten first.
public struct DedupWindow: Sendable {
    public let windowNanos: UInt64
    public let capacity: Int
    private var lastSeen: [[UInt8]: UInt64] = [:]
    public private(set) var suppressed = 0

    public init(windowMillis: Int, capacity: Int = 4096) {
        windowNanos = UInt64(max(0, windowMillis)) * 1_000_000
        self.capacity = capacity
    }

    /// - Parameter now: CLOCK_MONOTONIC nanoseconds of the read.
    /// - Returns: true when this read is a new scan.
    public mutating func admit(_ bytes: [UInt8], now: UInt64) -> Bool {
        guard windowNanos > 0 else { return true }
        if let last = lastSeen[bytes], now >= last, now - last < windowNanos {
            lastSeen[bytes] = now
            suppressed += 1
            return false
        }
        if lastSeen.count >= capacity {
            // Forget what has expired; if nothing has, the oldest.
            lastSeen = lastSeen.filter { now < $0.value || now - $0.value < windowNanos }
            if lastSeen.count >= capacity, let oldest = lastSeen.min(by: { $0.value < $1.value })?.key {
                lastSeen[oldest] = nil
            }
        }
        lastSeen[bytes] = now
        return true
    }
}
