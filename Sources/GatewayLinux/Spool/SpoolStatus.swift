/// An envelope as the spool keeps it: its JSON, ready to be sent as is.
public struct SpooledEnvelope: Sendable, Equatable {
    public var seq: UInt64
    public var id: String
    public var body: [UInt8]
}

public struct SpoolStatus: Sendable, Equatable {
    public var depth: Int
    public var bytes: Int
    public var oldestSpooledAtNanos: Int64?
    public var deadLetters: Int
    public var lastSeq: UInt64
    /// Envelopes deleted by `overflow = "drop_oldest"`, ever.
    public var droppedTotal: Int
}

/// What `Spool.append` did: the sequence numbers stored, and what the overflow policy dropped.
public struct AppendResult: Sendable, Equatable {
    public var seqs: [UInt64]
    public var dropped: Dropped?

    public struct Dropped: Sendable, Equatable {
        public var count: Int
        public var firstSeq: UInt64
        public var lastSeq: UInt64
        /// All drops so far.
        public var total: Int
    }
}

/// One row of `gatewayd spool list`: metadata only, never content (it is sealed anyway).
public struct SpoolEntry: Sendable, Equatable {
    public var seq: UInt64
    public var id: String
    public var bytes: Int
    public var spooledAtNanos: Int64
    public var keyID: String?
    public var reason: String?
    public var failedAtNanos: Int64?
}
