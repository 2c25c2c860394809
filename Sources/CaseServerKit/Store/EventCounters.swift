/// The server's totals since its database was made: `case-server events` prints them.
public struct EventCounters: Sendable, Equatable {
    /// Events stored.
    public var events: Int
    /// Envelopes answered `duplicate` (a terminal retried after a lost answer).
    public var duplicates: Int
    /// Envelopes that did not open.
    public var rejected: Int

    public init(events: Int, duplicates: Int, rejected: Int) {
        self.events = events
        self.duplicates = duplicates
        self.rejected = rejected
    }
}
