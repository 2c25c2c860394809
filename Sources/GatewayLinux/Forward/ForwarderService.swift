import Foundation
import GatewayCore
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Drains the spool to the case server, oldest first, with up to two batches in flight while
/// deliveries succeed (one after a failure), and waits on the doorbell when the spool is empty.
/// The decisions (what leaves, what waits, for how long) are `ForwarderStateMachine`'s; this
/// type only does the I/O around them.
public struct ForwarderService: Service {
    private let spool: Spool
    /// Swapped on reload; a batch in flight finishes on the deliverer it started with.
    private let deliverer: NIOLockedValueBox<HTTPDeliverer>
    private let doorbell: Doorbell
    private let batchMax: Int
    private let batchMaxBytes: Int
    private let linger: Duration
    private let backoff: Backoff
    private let logger: Logger
    /// Told what each batch came to, for the kiosk page.
    private let feedback: FeedbackHub?

    public init(spool: Spool, deliverer: HTTPDeliverer, doorbell: Doorbell, batchMax: Int, batchMaxBytes: Int = 1 << 20,
                linger: Duration = .zero, backoff: Backoff, feedback: FeedbackHub? = nil, logger: Logger) {
        self.spool = spool
        self.deliverer = NIOLockedValueBox(deliverer)
        self.doorbell = doorbell
        self.batchMax = batchMax
        self.batchMaxBytes = batchMaxBytes
        self.linger = linger
        self.backoff = backoff
        self.feedback = feedback
        self.logger = logger
    }

    /// Reload: later batches go to `new`; the old client is shut down once a batch that may
    /// still be using it has had its full request timeout.
    public func replace(deliverer new: HTTPDeliverer, drainAfter: Duration) {
        let old = deliverer.withLockedValue { d -> HTTPDeliverer in defer { d = new }; return d }
        Task {
            try? await Task.sleep(for: drainAfter)
            await old.shutdown()
        }
    }

    /// The deliverer in use now (the case follower asks the same server the same way).
    public func currentDeliverer() -> HTTPDeliverer { deliverer.withLockedValue { $0 } }

    public func run() async throws {
        var machine = ForwarderStateMachine(backoff: backoff)
        var status = ForwarderStatus()
        var statusFile = StatusWriteThrottle()
        /// Rewrites forwarder.json when the throttle says so (a state change, or a second since).
        func publishStatus() {
            if statusFile.offer(status, nowNanos: Clocks.monotonicNanos()) { Self.publish(status) }
        }
        /// Idle: writes what is due, and has the bell rung when the rest will be (one wake-up
        /// pending at a time; one that has fired is forgotten here).
        var statusWake: (at: UInt64, task: Task<Void, Never>)?
        func flushStatus(force: Bool = false) {
            let now = Clocks.monotonicNanos()
            if let s = statusFile.flush(nowNanos: now, force: force) { Self.publish(s) }
            if let w = statusWake, w.at <= now { statusWake = nil }
            guard !force, let due = statusFile.dueNanos, statusWake == nil else { return }
            let task = Task { [doorbell] in
                try? await Task.sleep(for: .nanoseconds(Int64(due > now ? due - now : 0)))
                doorbell.ring()
            }
            statusWake = (due, task)
        }
        publishStatus()
        var bell = doorbell.makeIterator()
        let doorbell = self.doorbell
        // Envelopes can also appear from outside (`gatewayd spool retry-dead`): look every 5 s.
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(5))
                doorbell.ring()
            }
        }
        defer { ticker.cancel() }
        await withGracefulShutdownHandler {
            var lingered = false
            // Batches posted and not yet answered, oldest first: up to `pipelineDepth` while
            // deliveries succeed, so the server opens and stores one batch while the next is
            // read from the spool, sent, and opened; answers are taken in the order sent.
            var inFlight: [InFlight] = []
            // The settle of the batch before (its envelopes leaving the spool: a write and an
            // fsync) runs while the next batch is read and posted.
            var settling: Task<Settled, Never>?
            // While a batch is in flight or a settle pending, the next batch starts after what
            // was sent last.
            var sentThrough: UInt64 = 0
            // A batch failed: what is in flight is answered, then the next batch starts from the
            // oldest envelope again.
            var rewind = false
            // When the spool is empty again after an outage's backlog (BacklogWatch); a
            // backlog left from before the start counts.
            var backlog = BacklogWatch()
            if let depth = publishSpoolGauges() { backlog.observed(depth: depth) }

            /// Waits for the settle under way, if any, clears it, and notes the depth it left the
            /// spool at. - Returns: false when it could not be written.
            func settled() async -> Bool {
                guard let pending = settling else { return true }
                settling = nil
                let result = await pending.value
                if let depth = result.depth { backlog.observed(depth: depth) }
                return result.written
            }

            /// Takes the answer to the oldest batch in flight and acts on it.
            func answerOldest() async {
                let sent = inFlight.removeFirst()
                let batch = sent.batch
                // Posted before an earlier batch's failure was known: that failure's wait is
                // already served, the same outage is not waited for twice.
                let postedBeforeFailure = rewind
                let outcome = await sent.task.value
                Failpoints.hit("after-post")
                let plan = machine.completed(batch: batch.map(\.id), outcome: outcome, unit: Double.random(in: 0..<1))
                backlog.answered(leaving: plan.remove.count + plan.deadLetter.count)
                feedback?.delivered(ids: batch.map(\.id), outcome: outcome, deadLetters: plan.deadLetter, failure: plan.failure,
                                    nowNanos: Clocks.monotonicNanos())
                status.record(plan, machine: machine, nowNanos: Clocks.wallNanos())
                publishStatus()
                GatewayMetrics.attempt(outcome, plan: plan, circuitOpen: machine.circuit == .open,
                                       seconds: Double((ContinuousClock.now - sent.started).milliseconds) / 1000)
                // One settle at a time, in order. One that failed leaves its envelopes in the
                // spool: they are sent again (the server answers `duplicate`), so the cursor
                // goes back to the start once this one has landed too.
                let previousFailed = await !settled()
                settling = Task { [spool, logger, self] in
                    do {
                        try await spool.settle(remove: plan.remove, deadLetter: plan.deadLetter, nowNanos: Clocks.wallNanos())
                        MemoryFootprint.noteActivity(plan.remove.count + plan.deadLetter.count)
                        return Settled(written: true, depth: publishSpoolGauges())
                    } catch {
                        logger.error("cannot update the spool after delivery; the batch will be sent again", metadata: ["error": "\(error)"])
                        return Settled(written: false, depth: nil)
                    }
                }
                if previousFailed || plan.failure != nil { rewind = true }
                for letter in plan.deadLetter {
                    logger.error("server rejected an envelope; kept as dead letter", metadata: ["id": "\(letter.id)", "reason": "\(letter.reason)"])
                }
                if let failure = plan.failure, plan.wait == nil {
                    logger.warning("server refused a batch; \(failure)", metadata: ["batch": "\(batch.count)", "first_seq": "\(batch.first!.seq)"])
                } else if let failure = plan.failure, let wait = plan.wait {
                    logger.warning("delivery failed; retrying later", metadata: [
                        "reason": "\(failure)", "batch": "\(batch.count)",
                        "attempt": "\(machine.consecutiveFailures)", "retry_in_ms": "\(wait.milliseconds)",
                    ])
                    if !postedBeforeFailure { try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) } }
                } else {
                    logger.info("batch delivered", metadata: [
                        "envelopes": "\(plan.remove.count)", "dead_lettered": "\(plan.deadLetter.count)",
                        "first_seq": "\(batch.first!.seq)", "ms": "\((ContinuousClock.now - sent.started).milliseconds)",
                    ])
                }
            }

            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                if rewind {
                    // Nothing overlaps a failure: the rest in flight is answered, its settle
                    // lands, and the next attempt starts from the oldest envelope.
                    if !inFlight.isEmpty { await answerOldest(); continue }
                    _ = await settled()
                    rewind = false
                }
                // Pipelining only while deliveries succeed: a failing server, or a batch being
                // taken apart one envelope at a time, gets one request at a time.
                let depth = machine.circuit == .closed && machine.isolating.isEmpty ? Self.pipelineDepth : 1
                guard inFlight.count < depth else {
                    await answerOldest()
                    continue
                }
                var batch: [SpooledEnvelope]
                let limit = machine.batchLimit(batchMax)
                do {
                    batch = try await spool.peek(limit: limit, afterSeq: settling == nil && inFlight.isEmpty ? 0 : sentThrough)
                } catch {
                    logger.error("cannot read the spool", metadata: ["error": "\(error)"])
                    if !inFlight.isEmpty { await answerOldest(); continue }
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
                    continue
                }
                if batch.isEmpty {
                    if !inFlight.isEmpty {
                        await answerOldest()
                        continue
                    }
                    if settling != nil {
                        // Nothing beyond the batch being settled: let it land, then look again.
                        _ = await settled()
                        continue
                    }
                    lingered = false
                    publishSpoolGauges()
                    flushStatus()
                    if let drained = backlog.spoolFoundEmpty() {
                        // What the drain allocated and faulted in is not needed while waiting.
                        let before = MemoryFootprint.residentBytes()
                        MemoryFootprint.releaseUnusedPages(logger: logger)
                        logger.info("backlog drained; spool empty, memory handed back", metadata: [
                            "envelopes": "\(drained)", "rss_kib_before": "\(before >> 10)",
                            "rss_kib_after": "\(MemoryFootprint.residentBytes() >> 10)",
                        ])
                    }
                    _ = await bell.next()
                    continue
                }
                // A burst under way but less than a full batch: give the readers a moment to
                // add to it (one POST for a burst), never twice for the same batch. A batch in
                // flight is answered first: its answer is the moment's worth of waiting.
                if BatchPolicy.shouldLinger(waiting: batch.count, limit: limit, lingerEnabled: linger > .zero,
                                            alreadyLingered: lingered, circuitClosed: machine.circuit == .closed) {
                    if !inFlight.isEmpty {
                        await answerOldest()
                        continue
                    }
                    lingered = true
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: linger) }
                    continue
                }
                lingered = false
                batch = Array(batch.prefix(BatchPolicy.take(sizes: batch.map(\.body.count), maxCount: limit, maxBytes: batchMaxBytes)))
                feedback?.sent(ids: batch.map(\.id))
                let deliverer = self.deliverer.withLockedValue { $0 }
                let posting = batch
                inFlight.append(InFlight(batch: batch, started: .now, task: Task { await deliverer.deliver(posting) }))
                sentThrough = batch.last!.seq
            }
            // What was sent is answered, and what was delivered leaves the spool, before the
            // daemon stops.
            while !inFlight.isEmpty { await answerOldest() }
            _ = await settled()
            publishSpoolGauges()
            statusWake?.task.cancel()
            flushStatus(force: true)
        } onGracefulShutdown: {
            doorbell.close()
        }
        await deliverer.withLockedValue({ $0 }).shutdown()
    }
}

extension ForwarderService {
    static let statusFile = "forwarder.json"

    /// Batches in flight at once while deliveries succeed. Two keep both ends busy: the
    /// terminal reads and sends the next batch while the server stores this one (one at a
    /// time left each side idle half the drain; docs/performance.md). More would only queue
    /// at the server's single database writer. Answers are taken in the order sent, and an
    /// envelope leaves the spool only on its own answer, so nothing changes for durability.
    static let pipelineDepth = 2

    /// A batch posted and not yet answered.
    struct InFlight {
        var batch: [SpooledEnvelope]
        var started: ContinuousClock.Instant
        var task: Task<DeliveryOutcome, Never>
    }

    /// What a settle did: whether its write landed, and the spool's depth after it.
    struct Settled {
        var written: Bool
        var depth: Int?
    }

    /// Publishes the spool gauges. - Returns: the spool's depth; nil when it cannot be read.
    @discardableResult
    func publishSpoolGauges() -> Int? {
        guard let s = try? spool.status() else { return nil }
        let age = s.oldestSpooledAtNanos.map { Double(max(0, Clocks.wallNanos() - $0)) / 1e9 }
        GatewayMetrics.spool(depth: s.depth, bytes: s.bytes, oldestAgeSeconds: age, deadLetters: s.deadLetters)
        return s.depth
    }

    static func publish(_ status: ForwarderStatus) {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        if let data = try? enc.encode(status) { RuntimeDirectory.write(statusFile, Array(data)) }
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
}
