/// Tells the forwarder when an outage's backlog is over: the spool found empty again after at
/// least `threshold` envelopes left it since it was last empty, with a failed delivery (or the
/// daemon's start, which may find a backlog left from before) in between. The daemon then hands
/// back the memory the drain used (freed heap, the code pages it faulted in: `MemoryFootprint`)
/// at once, instead of after the footprint service's quiet period, and says so in one log line.
///
/// Steady traffic is never a backlog, however much of it goes through: deliveries that all
/// succeed do not make one, even on a slow link where the spool rarely runs empty between
/// batches. An outage does: the server down or failing, envelopes pile up, then drain.
public struct BacklogWatch: Sendable, Equatable {
    /// Ten full batches at the default `batch_max` of 500 (a smaller configured `batch_max`
    /// only means more batches to reach it).
    public static let defaultThreshold = 5000

    public let threshold: Int
    /// Envelopes delivered (or dead-lettered: they left the spool too) since the spool was
    /// last found empty. Failed attempts do not count.
    public private(set) var deliveredSinceEmpty = 0
    /// A delivery failed since the spool was last found empty; true at start.
    public private(set) var failedSinceEmpty = true

    public init(threshold: Int = BacklogWatch.defaultThreshold) {
        precondition(threshold > 0)
        self.threshold = threshold
    }

    /// An answer took `count` envelopes out of the spool, or (`failed`) none: the delivery failed.
    public mutating func answered(leaving count: Int, failed: Bool) {
        deliveredSinceEmpty += count
        if failed { failedSinceEmpty = true }
    }

    /// The spool was found empty, nothing in flight; the count starts again. - Returns: how
    /// many envelopes the backlog that just ended held, once per backlog; nil when this was not
    /// the end of one.
    public mutating func spoolFoundEmpty() -> Int? {
        defer { deliveredSinceEmpty = 0; failedSinceEmpty = false }
        return failedSinceEmpty && deliveredSinceEmpty >= threshold ? deliveredSinceEmpty : nil
    }
}
