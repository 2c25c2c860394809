/// Tells the forwarder when an outage's backlog is over: the spool found empty again after it
/// held at least `threshold` envelopes waiting at once since it was last empty. The daemon then
/// hands back the memory the drain used (freed heap, the code pages it faulted in:
/// `MemoryFootprint`) at once, instead of after the footprint service's quiet period, and says
/// so in one log line.
///
/// The criterion is the depth the spool reached, because that is what a drain is: many
/// envelopes waiting, then taken out batch after batch. Steady traffic that the link keeps up
/// with never gets there, however much of it goes through, even on a slow link where the spool
/// rarely runs empty between batches. An outage does, whether or not a delivery is seen to
/// fail: a server that comes back while the first batch's connection is still being retried
/// answers it without any failure being recorded, with thousands waiting behind it.
public struct BacklogWatch: Sendable, Equatable {
    /// Ten full batches at the default `batch_max` of 500 (a smaller configured `batch_max`
    /// only means more batches to reach it).
    public static let defaultThreshold = 5000

    public let threshold: Int
    /// Envelopes delivered (or dead-lettered: they left the spool too) since the spool was
    /// last found empty. Failed attempts do not count.
    public private(set) var deliveredSinceEmpty = 0
    /// The most envelopes seen waiting in the spool at once since it was last found empty.
    public private(set) var deepestSinceEmpty = 0

    public init(threshold: Int = BacklogWatch.defaultThreshold) {
        precondition(threshold > 0)
        self.threshold = threshold
    }

    /// An answer took `count` envelopes out of the spool (0 when the delivery failed).
    public mutating func answered(leaving count: Int) {
        deliveredSinceEmpty += count
    }

    /// The spool held `depth` envelopes (at start, and after each settle).
    public mutating func observed(depth: Int) {
        deepestSinceEmpty = max(deepestSinceEmpty, depth)
    }

    /// The spool was found empty, nothing in flight; the counts start again. - Returns: how
    /// many envelopes left the spool during the backlog that just ended, once per backlog; nil
    /// when this was not the end of one.
    public mutating func spoolFoundEmpty() -> Int? {
        defer {
            deliveredSinceEmpty = 0
            deepestSinceEmpty = 0
        }
        return deepestSinceEmpty >= threshold ? deliveredSinceEmpty : nil
    }
}
