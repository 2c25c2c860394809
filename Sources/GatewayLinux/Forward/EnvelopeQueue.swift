import GatewayCore

/// What the forwarder drains: envelopes in sequence order, removed or dead-lettered once the
/// server has answered for them. `Spool` is the real one; tests drive `ForwarderService` over
/// an in-memory one.
public protocol EnvelopeQueue: Sendable {
    /// The oldest envelopes after sequence number `afterSeq`, at most `limit`, in order.
    func peek(limit: Int, afterSeq: UInt64) async throws(SpoolError) -> [SpooledEnvelope]

    /// Applies a forwarder plan in one transaction. - Returns: the status after it.
    func settle(
        remove: [String],
        deadLetter: [(id: String, reason: String)],
        nowNanos: Int64
    ) async throws(SpoolError)
        -> SpoolStatus

    /// Depth, dead letters and the rest, read without holding the caller's thread.
    func readStatus() async throws(SpoolError) -> SpoolStatus
}

extension Spool: EnvelopeQueue {}
