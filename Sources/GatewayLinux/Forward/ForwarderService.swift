import Foundation
import GatewayCore
import GatewaySystem
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Drains the spool to the case server, oldest first, with up to two batches in flight while
/// deliveries succeed (one after a failure), and waits on the doorbell when the spool is empty.
/// The decisions are pure state machines' — what an answer means and how long to wait,
/// `ForwarderStateMachine`; which step comes next, `ForwarderLoop` — this type only does the
/// I/O they ask for.
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
        var loop = ForwarderLoop(delivery: ForwarderStateMachine(backoff: backoff), batchMax: batchMax, batchMaxBytes: batchMaxBytes,
                                 lingerEnabled: linger > .zero, pipelineDepth: Self.pipelineDepth)
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
            // Batches posted and not yet answered, oldest first (`loop.inFlight` holds their
            // last sequence numbers in the same order).
            var inFlight: [InFlight] = []
            // The settle under way (the answered batch's envelopes leaving the spool).
            var settling: Task<Settled, Never>?
            // What the last read found, until the loop says what to post of it.
            var found: [SpooledEnvelope] = []
            // When the spool is empty again after an outage's backlog (BacklogWatch); a
            // backlog left from before the start counts.
            var backlog = BacklogWatch()
            // The doorbell's count before the spool status last published as gauges was read:
            // while it is unchanged, nothing was committed since and the gauges are current.
            var gaugesGeneration = doorbell.generation
            if let depth = publishSpoolGauges() { backlog.observed(depth: depth) }

            /// Takes the answer to the oldest batch in flight, acts on it, and starts its settle.
            func answerOldest() async {
                let sent = inFlight.removeFirst()
                let batch = sent.batch
                // When the answer arrived: it may be taken later, once the settle before it landed.
                let (outcome, answeredAt) = await sent.task.value
                Failpoints.hit("after-post")
                let answer = loop.answered(ids: batch.map(\.id), outcome: outcome, unit: Double.random(in: 0..<1))
                let plan = answer.plan
                backlog.answered(leaving: plan.remove.count + plan.deadLetter.count)
                feedback?.delivered(ids: batch.map(\.id), outcome: outcome, deadLetters: plan.deadLetter, failure: plan.failure,
                                    nowNanos: Clocks.monotonicNanos())
                status.record(plan, machine: loop.delivery, nowNanos: Clocks.wallNanos())
                publishStatus()
                GatewayMetrics.attempt(outcome, plan: plan, circuitOpen: loop.delivery.circuit == .open,
                                       seconds: Double((answeredAt - sent.started).milliseconds) / 1000)
                // One that cannot be written leaves its envelopes in the spool: they are sent
                // again (the server answers `duplicate`).
                settling = Task { [spool, logger, doorbell] in
                    let generation = doorbell.generation
                    do {
                        let after = try await spool.settle(remove: plan.remove, deadLetter: plan.deadLetter, nowNanos: Clocks.wallNanos())
                        MemoryFootprint.noteActivity(plan.remove.count + plan.deadLetter.count)
                        Self.publishGauges(after)
                        return Settled(written: true, depth: after.depth, generation: generation)
                    } catch {
                        logger.error("cannot update the spool after delivery; the batch will be sent again", metadata: ["error": "\(error)"])
                        return Settled(written: false, depth: nil, generation: nil)
                    }
                }
                for letter in plan.deadLetter {
                    logger.error("server rejected an envelope; kept as dead letter", metadata: ["id": "\(letter.id)", "reason": "\(letter.reason)"])
                }
                if let failure = plan.failure, plan.wait == nil {
                    logger.warning("server refused a batch; \(failure)", metadata: ["batch": "\(batch.count)", "first_seq": "\(batch.first!.seq)"])
                } else if let failure = plan.failure, let wait = plan.wait {
                    logger.warning("delivery failed; retrying later", metadata: [
                        "reason": "\(failure)", "batch": "\(batch.count)",
                        "attempt": "\(loop.delivery.consecutiveFailures)", "retry_in_ms": "\(wait.milliseconds)",
                    ])
                } else {
                    logger.info("batch delivered", metadata: [
                        "envelopes": "\(plan.remove.count)", "dead_lettered": "\(plan.deadLetter.count)",
                        "first_seq": "\(batch.first!.seq)", "ms": "\((answeredAt - sent.started).milliseconds)",
                    ])
                }
                if let wait = answer.waitBeforeNext { try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) } }
            }

            steps: while true {
                if Task.isCancelled || Task.isShuttingDownGracefully { loop.stop() }
                switch loop.next(generation: doorbell.generation) {
                case .peek(let limit, let afterSeq):
                    let generation = doorbell.generation
                    do {
                        found = try await spool.peek(limit: limit, afterSeq: afterSeq)
                        loop.peeked(sizes: found.map(\.body.count), lastSeq: found.last?.seq, generation: generation)
                    } catch {
                        logger.error("cannot read the spool", metadata: ["error": "\(error)"])
                        found = []
                        loop.readFailed()
                    }
                case .post(let count):
                    let batch = Array(found.prefix(count))
                    found = []
                    feedback?.sent(ids: batch.map(\.id))
                    let deliverer = self.deliverer.withLockedValue { $0 }
                    inFlight.append(InFlight(batch: batch, started: .now, task: Task { (await deliverer.deliver(batch), ContinuousClock.now) }))
                    loop.posted(lastSeq: batch.last!.seq)
                case .answerOldest:
                    await answerOldest()
                case .awaitSettle:
                    let result = await settling!.value
                    settling = nil
                    if let depth = result.depth { backlog.observed(depth: depth) }
                    if let g = result.generation { gaugesGeneration = g }
                    loop.settleLanded(written: result.written)
                case .linger:
                    // A burst under way but less than a full batch: give the readers a moment
                    // to add to it (one POST for a burst).
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: linger) }
                case .pauseAfterReadError:
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
                case .idle:
                    let generation = doorbell.generation
                    if generation != gaugesGeneration {
                        publishSpoolGauges()
                        gaugesGeneration = generation
                    }
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
                case .finished:
                    break steps
                }
            }
            // Everything sent was answered and what was delivered has left the spool (the loop
            // finishes only then).
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
        var task: Task<(DeliveryOutcome, ContinuousClock.Instant), Never>
    }

    /// What a settle did: whether its write landed, the spool's depth after it, and the
    /// doorbell's count before it began (nil when not written).
    struct Settled {
        var written: Bool
        var depth: Int?
        var generation: UInt64?
    }

    /// Reads the spool's status and publishes it as gauges. - Returns: the spool's depth; nil
    /// when it cannot be read.
    @discardableResult
    func publishSpoolGauges() -> Int? {
        guard let s = try? spool.status() else { return nil }
        Self.publishGauges(s)
        return s.depth
    }

    static func publishGauges(_ s: SpoolStatus) {
        let age = s.oldestSpooledAtNanos.map { Double(max(0, Clocks.wallNanos() - $0)) / 1e9 }
        GatewayMetrics.spool(depth: s.depth, bytes: s.bytes, oldestAgeSeconds: age, deadLetters: s.deadLetters)
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
