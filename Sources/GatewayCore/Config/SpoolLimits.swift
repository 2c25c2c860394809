/// How big the spool may grow and what happens when it is full (`[spool]` in the config).
///
/// A terminal that cannot reach the server for days fills its disk; bounds keep the spool
/// from taking the file system (and the logs, the OS) down with it. What happens at the bound
/// is the site's choice, and never silent:
/// - `block` (default): readers are held — the scanner's input waits in the kernel — and the
///   log says so once; nothing is lost, but new scans are not taken until the server drains.
/// - `drop_oldest`: the oldest envelopes are deleted to make room, counted (`dropped_total`),
///   and every drop is logged at error level with the sequence numbers lost; the server sees
///   the gap too.
public struct SpoolLimits: Sendable, Equatable {
    public enum Overflow: String, Sendable, Equatable, CaseIterable {
        case block
        case dropOldest = "drop_oldest"
    }

    public var maxEnvelopes: Int
    public var maxBytes: Int
    public var overflow: Overflow

    public init(maxEnvelopes: Int = 1_000_000, maxBytes: Int = 512 << 20, overflow: Overflow = .block) {
        self.maxEnvelopes = maxEnvelopes
        self.maxBytes = maxBytes
        self.overflow = overflow
    }

    public static let unlimited = SpoolLimits(maxEnvelopes: .max, maxBytes: .max, overflow: .block)

    /// What to do after adding `adding` envelopes of `addingBytes` to a spool holding
    /// `depth` envelopes of `bytes`: store them, refuse them (block), or store them and drop
    /// this many of the oldest first. A batch larger than the whole bound is still taken into
    /// an empty spool, so one huge batch cannot block a reader forever.
    public func admit(depth: Int, bytes: Int, adding: Int, addingBytes: Int) -> Admission {
        let fits = depth + adding <= maxEnvelopes && bytes + addingBytes <= maxBytes
        if fits || depth == 0 { return .store }
        switch overflow {
        case .block: return .refuse
        case .dropOldest: return .dropOldestUntil(maxEnvelopes: maxEnvelopes - adding, maxBytes: maxBytes - addingBytes)
        }
    }

    public enum Admission: Sendable, Equatable {
        case store
        case refuse
        /// Drop the oldest until the rest holds at most this many envelopes and bytes.
        case dropOldestUntil(maxEnvelopes: Int, maxBytes: Int)
    }
}
