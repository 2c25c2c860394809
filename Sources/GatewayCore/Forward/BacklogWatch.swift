/// Tells the forwarder when a backlog is over: the spool found empty again after at least
/// `threshold` envelopes were delivered since it was last empty — an outage's worth, drained. The
/// daemon then hands back the memory the drain used (freed heap, the code pages it faulted in:
/// `MemoryFootprint`) at once, instead of after the footprint service's quiet period, and says
/// so in one log line.
///
/// Steady traffic is never a backlog: there the spool is empty between scans, and every empty
/// spool starts the count again, so even a portal reading thousands of tags a second that the
/// forwarder keeps up with does not reach the threshold. Only envelopes that piled up while
/// nothing could leave (or faster than they could) add up to it.
public struct BacklogWatch: Sendable, Equatable {
    /// Ten full batches at the default `batch_max` of 500.
    public static let defaultThreshold = 5000

    public let threshold: Int
    /// Envelopes delivered (or dead-lettered: they left the spool too) since the spool was
    /// last found empty. Failed attempts during the outage do not count.
    public private(set) var deliveredSinceEmpty = 0

    public init(threshold: Int = BacklogWatch.defaultThreshold) {
        precondition(threshold > 0)
        self.threshold = threshold
    }

    /// An answer took `count` envelopes out of the spool.
    public mutating func delivered(_ count: Int) {
        deliveredSinceEmpty += count
    }

    /// The spool was found empty, nothing in flight. - Returns: how many envelopes the backlog
    /// that just ended held, once per backlog; nil when this was not the end of one.
    public mutating func spoolEmpty() -> Int? {
        defer { deliveredSinceEmpty = 0 }
        return deliveredSinceEmpty >= threshold ? deliveredSinceEmpty : nil
    }
}
