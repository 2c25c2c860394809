/// The forwarder's loop as a pure state machine, in the manner of async-http-client's
/// connection state machines: `ForwarderDriver` asks `next(generation:)` what to do, does it
/// (a spool read, a POST, waiting for an answer or for a settle, idling on the doorbell) and
/// reports what came of it. Nothing here does I/O, reads a clock or draws a random number.
/// What a delivery's answer means is `ForwarderStateMachine`'s (`delivery`); this type decides
/// the order of the steps around it.
///
/// The rules:
/// - **Pipelining.** Up to `pipelineDepth` batches are in flight while deliveries succeed, one
///   while the circuit is open or a batch is being taken apart one envelope at a time
///   (`ForwarderStateMachine.isolating`). Answers are taken in the order sent.
/// - **One settle at a time.** A batch's answer is acted on only after the settle before it
///   (its envelopes leaving the spool: a write and an fsync) has landed; the settle then runs
///   while the next batch is read and posted.
/// - **Where a read starts.** After the last envelope sent, while anything is in flight or
///   being settled; from the oldest envelope otherwise.
/// - **Rewind.** After a failed delivery or a settle that could not be written, nothing new is
///   posted: what is in flight is answered, its settle lands, and the next batch starts from
///   the oldest envelope again (the server answers `duplicate` for what got through). A batch
///   posted before a failure was known does not wait out that failure's backoff again.
/// - **Linger.** Per `BatchPolicy.shouldLinger`, never while a batch is in flight (its answer is
///   the moment's worth of waiting).
/// - **Reads that are not made.** A read that returned fewer envelopes than it asked for proves
///   that no envelope after its last one existed when it ran. Every commit rings the doorbell
///   after it lands, and the doorbell counts its rings (its `generation`, read before each
///   read), so while the count is unchanged a read that could only find envelopes after that
///   one would find nothing, and is not made. A read from the oldest is skipped on the same
///   proof only when everything up to the last envelope sent (since the last read from the
///   oldest) has been answered and settled without a failure, so a lone scan costs one read,
///   not one more around each of its POST, answer and settle. Envelopes that appear without a
///   ring — `gatewayd spool
///   retry-dead`, another process, moving dead letters back — are found after the first ring
///   that reaches the forwarder asleep: the count has moved, so it reads from the oldest; the
///   forwarder's ticker rings every 5 s.
public struct ForwarderLoop: Sendable {
    public enum Action: Sendable, Equatable {
        /// Read up to `limit` envelopes after `afterSeq` (0: from the oldest), then
        /// `peeked(sizes:lastSeq:generation:)` or `readFailed()`.
        case peek(limit: Int, afterSeq: UInt64)
        /// Post the first `count` envelopes of that read, then `posted(lastSeq:)`.
        case post(count: Int)
        /// Wait for the answer to the oldest batch in flight, then `answered(ids:outcome:unit:)`
        /// and start the settle of its plan.
        case answerOldest
        /// Wait for the settle under way, then `settleLanded(written:)`.
        case awaitSettle
        /// Wait `linger_ms` for a burst to fill the batch, then ask again.
        case linger
        /// Nothing to send and nothing pending: nothing this process committed is waiting (what
        /// was put back from outside is read after the next ring). Wait for the doorbell.
        case idle
        /// The spool could not be read and nothing is in flight: wait a moment, then ask again.
        case pauseAfterReadError
        /// Stopping, and everything sent has been answered and settled.
        case finished
    }

    /// What an answer came to: the plan to settle, and how long to wait before the next
    /// attempt (nil: go on at once).
    public struct Answer: Sendable, Equatable {
        public var plan: ForwarderStateMachine.Plan
        public var waitBeforeNext: Duration?
    }

    /// No envelope after `seq` existed when the doorbell had rung `generation` times.
    struct EmptyAfter: Sendable, Equatable {
        var seq: UInt64
        var generation: UInt64
    }

    public private(set) var delivery: ForwarderStateMachine
    public let batchMax: Int
    public let batchMaxBytes: Int
    public let lingerEnabled: Bool
    public let pipelineDepth: Int

    /// The last sequence number of each batch in flight, oldest first.
    public private(set) var inFlight: [UInt64] = []
    public private(set) var settling = false
    /// Reads that were not made because they could only have found nothing (for tests).
    public private(set) var readsSkipped = 0
    /// Every envelope up to this one has been posted since the last read from the oldest.
    private var sentThrough: UInt64 = 0
    private var rewind = false
    /// A batch failed since the last rewind (and its backoff, if it had one, is being served):
    /// batches answered after it do not wait again.
    private var failureWaitServed = false
    private var lingered = false
    private var stopping = false
    private var emptyAfter: EmptyAfter?
    /// The read asked for and not yet reported.
    private var reading: (limit: Int, afterSeq: UInt64)?
    /// A read reported and not yet acted on: its envelopes' sizes and the limit it had.
    private var found: (sizes: [Int], limit: Int)?
    private var lastReadFailed = false

    public init(
        delivery: ForwarderStateMachine,
        batchMax: Int,
        batchMaxBytes: Int,
        lingerEnabled: Bool,
        pipelineDepth: Int
    ) {
        precondition(batchMax > 0 && pipelineDepth > 0)
        self.delivery = delivery
        self.batchMax = batchMax
        self.batchMaxBytes = batchMaxBytes
        self.lingerEnabled = lingerEnabled
        self.pipelineDepth = pipelineDepth
    }

    /// What to do now. - Parameter generation: the doorbell's ring count now.
    public mutating func next(generation: UInt64) -> Action {
        precondition(reading == nil, "a read was asked for and not reported")
        if stopping {
            found = nil
            if settling { return .awaitSettle }
            return inFlight.isEmpty ? .finished : .answerOldest
        }
        if lastReadFailed {
            lastReadFailed = false
            return inFlight.isEmpty && !settling ? .pauseAfterReadError : answerNext
        }
        if let f = found {
            found = nil
            return act(onRead: f.sizes, limit: f.limit)
        }
        if rewind {
            // Nothing is read until the rewind is through; then the proof of an empty spool is
            // forgotten, and the next read starts from the oldest (which forgets what was sent).
            if !inFlight.isEmpty || settling { return answerNext }
            rewind = false
            failureWaitServed = false
            emptyAfter = nil
        }
        let depth = delivery.circuit == .closed && delivery.isolating.isEmpty ? pipelineDepth : 1
        if inFlight.count >= depth { return answerNext }
        let limit = delivery.batchLimit(batchMax)
        let after = inFlight.isEmpty && !settling ? 0 : sentThrough
        if provenEmpty(after: after, generation: generation) {
            readsSkipped += 1
            return act(onRead: [], limit: limit)
        }
        reading = (limit, after)
        return .peek(limit: limit, afterSeq: after)
    }

    /// The read asked for returned envelopes of these sizes, the last with `lastSeq`.
    /// - Parameter generation: the doorbell's ring count read just before the read ran.
    public mutating func peeked(sizes: [Int], lastSeq: UInt64?, generation: UInt64) {
        guard let r = reading else { preconditionFailure("peeked without a read asked for") }
        reading = nil
        // A read from the oldest shows what is there now, whatever was sent before: envelopes
        // put back from outside (`spool retry-dead`) keep their old, lower sequence numbers, so
        // "everything up to the last one sent has left" starts again from this read.
        if r.afterSeq == 0 { sentThrough = 0 }
        if sizes.count < r.limit { emptyAfter = EmptyAfter(seq: lastSeq ?? r.afterSeq, generation: generation) }
        found = (sizes, r.limit)
    }

    /// The read asked for failed.
    public mutating func readFailed() {
        precondition(reading != nil, "readFailed without a read asked for")
        reading = nil
        lastReadFailed = true
    }

    /// The batch asked for is posted; its last envelope has `lastSeq`.
    public mutating func posted(lastSeq: UInt64) {
        inFlight.append(lastSeq)
        sentThrough = lastSeq
    }

    /// The oldest batch in flight was answered. The caller settles `plan` next (always: the
    /// settle also reports the spool's depth) and waits `waitBeforeNext` if it is set.
    /// - Parameters:
    ///   - ids: that batch's envelope ids, in order.
    ///   - unit: uniform random in [0, 1) for the backoff's jitter.
    public mutating func answered(ids: [String], outcome: DeliveryOutcome, unit: Double) -> Answer {
        precondition(
            !inFlight.isEmpty && !settling,
            "an answer is taken only with a batch in flight and no settle pending"
        )
        inFlight.removeFirst()
        let postedBeforeFailure = failureWaitServed
        let plan = delivery.completed(batch: ids, outcome: outcome, unit: unit)
        settling = true
        if plan.failure != nil {
            rewind = true
            failureWaitServed = true
        }
        return Answer(plan: plan, waitBeforeNext: postedBeforeFailure ? nil : plan.wait)
    }

    /// The settle under way landed, or could not be written. One that was not written leaves
    /// its envelopes in the spool: they are sent again from the oldest.
    public mutating func settleLanded(written: Bool) {
        precondition(settling, "no settle pending")
        settling = false
        if !written { rewind = true }
    }

    /// The daemon is stopping: what was sent is answered and settled, nothing new is read.
    public mutating func stop() {
        stopping = true
    }

    private var answerNext: Action { settling ? .awaitSettle : .answerOldest }

    private mutating func act(onRead sizes: [Int], limit: Int) -> Action {
        if sizes.isEmpty {
            if !inFlight.isEmpty || settling { return answerNext }
            lingered = false
            return .idle
        }
        if BatchPolicy.shouldLinger(
            waiting: sizes.count,
            limit: limit,
            lingerEnabled: lingerEnabled,
            alreadyLingered: lingered,
            circuitClosed: delivery.circuit == .closed
        ) {
            if !inFlight.isEmpty { return answerNext }
            lingered = true
            return .linger
        }
        lingered = false
        return .post(
            count: BatchPolicy.take(sizes: sizes, maxCount: limit, maxBodyBytes: delivery.byteLimit(batchMaxBytes))
        )
    }

    /// Whether a read after `after` can only find nothing (see the type's doc comment).
    private func provenEmpty(after: UInt64, generation: UInt64) -> Bool {
        guard let e = emptyAfter, e.generation == generation else { return false }
        return after == 0 ? sentThrough >= e.seq : after >= e.seq
    }
}
