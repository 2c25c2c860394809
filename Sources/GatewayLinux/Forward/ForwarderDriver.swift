import GatewayCore
import GatewaySystem
import Logging
import ServiceLifecycle

/// Carries out what `ForwarderLoop` asks, one method per `ForwarderLoop.Action`, the way
/// async-http-client's executors carry out its connection state machines: the loop decides,
/// this type does the I/O (spool reads and settles, posts, sleeps) and reports back.
///
/// It lives inside `ForwarderService.run`'s task and nowhere else, so its state needs no lock;
/// what it starts in other tasks (a post, a settle) captures only `Sendable` values and hands
/// its result back through the task's value.
struct ForwarderDriver<Queue: EnvelopeQueue, Delivery: Deliverer> {
    let queue: Queue
    /// The deliverer to post the next batch with (swapped on reload; a batch in flight finishes
    /// on the one it started with).
    let deliverer: @Sendable () -> Delivery
    let doorbell: Doorbell
    let linger: Duration
    let feedback: FeedbackHub?
    let board: ForwarderStatusBoard
    let logger: Logger

    private var loop: ForwarderLoop
    private var bell: AsyncStream<Void>.AsyncIterator
    private var status = ForwarderStatus()
    private var statusFile = StatusWriteThrottle()
    /// The one wake-up pending for a status write that is due later (one that fired is
    /// forgotten in `flushStatus`).
    private var statusWake: (at: UInt64, task: Task<Void, Never>)?
    /// Batches posted and not yet answered, oldest first (`loop.inFlight` holds their last
    /// sequence numbers in the same order).
    private var inFlight: [InFlight] = []
    /// The settle under way (the answered batch's envelopes leaving the spool).
    private var settling: Task<Settled, Never>?
    /// What the last read found, until the loop says what to post of it.
    private var found: [SpooledEnvelope] = []
    /// When the spool is empty again after an outage's backlog; a backlog left from before the
    /// start counts.
    private var backlog = BacklogWatch()
    /// The doorbell's count before the spool status last published was read: while it is
    /// unchanged, nothing was committed since and the published status is current.
    private var gaugesGeneration: UInt64

    init(
        loop: ForwarderLoop,
        queue: Queue,
        deliverer: @escaping @Sendable () -> Delivery,
        doorbell: Doorbell,
        linger: Duration,
        feedback: FeedbackHub?,
        board: ForwarderStatusBoard,
        logger: Logger
    ) {
        self.loop = loop
        self.queue = queue
        self.deliverer = deliverer
        self.doorbell = doorbell
        self.linger = linger
        self.feedback = feedback
        self.board = board
        self.logger = logger
        self.bell = doorbell.makeIterator()
        self.gaugesGeneration = doorbell.generation
    }

    /// Runs the loop until it finishes: after a stop, once everything sent was answered and
    /// what was delivered has left the spool.
    mutating func run() async {
        publishStatus()
        if let depth = await publishSpool() { backlog.observed(depth: depth) }
        while true {
            if Task.isCancelled || Task.isShuttingDownGracefully { loop.stop() }
            switch loop.next(generation: doorbell.generation) {
            case .peek(let limit, let afterSeq): await peek(limit: limit, afterSeq: afterSeq)
            case .post(let count): post(count: count)
            case .answerOldest: await answerOldest()
            case .awaitSettle: await awaitSettle()
            case .linger: await pause(linger)
            case .pauseAfterReadError: await pause(.seconds(1))
            case .idle: await idle()
            case .finished:
                await finish()
                return
            }
        }
    }

    // MARK: one method per action

    mutating func peek(limit: Int, afterSeq: UInt64) async {
        let generation = doorbell.generation
        do {
            found = try await queue.peek(limit: limit, afterSeq: afterSeq)
            loop.peeked(sizes: found.map(\.body.count), lastSeq: found.last?.seq, generation: generation)
        } catch {
            logger.error("cannot read the spool", metadata: ["error": "\(error)"])
            found = []
            loop.readFailed()
        }
    }

    mutating func post(count: Int) {
        let batch = Array(found.prefix(count))
        found = []
        guard let last = batch.last else { preconditionFailure("ForwarderLoop posts only envelopes a read found") }
        feedback?.sent(ids: batch.map(\.id))
        let deliverer = self.deliverer()
        let task = Task { (await deliverer.deliver(batch), ContinuousClock.now) }
        inFlight.append(InFlight(batch: batch, started: .now, task: task))
        loop.posted(lastSeq: last.seq)
    }

    /// Takes the answer to the oldest batch in flight, acts on it, and starts its settle.
    mutating func answerOldest() async {
        guard !inFlight.isEmpty else {
            preconditionFailure("ForwarderLoop asks for an answer only with a batch in flight")
        }
        let sent = inFlight.removeFirst()
        let batch = sent.batch
        // When the answer arrived: it may be taken later, once the settle before it landed.
        let (outcome, answeredAt) = await sent.task.value
        Failpoints.hit("after-post")
        let answer = loop.answered(ids: batch.map(\.id), outcome: outcome, unit: Double.random(in: 0..<1))
        let plan = answer.plan
        backlog.answered(leaving: plan.remove.count + plan.deadLetter.count)
        feedback?.delivered(
            ids: batch.map(\.id),
            outcome: outcome,
            deadLetters: plan.deadLetter,
            failure: plan.failure,
            nowNanos: Clocks.monotonicNanos()
        )
        status.record(plan, machine: loop.delivery, nowNanos: Clocks.wallNanos())
        publishStatus()
        let elapsed = answeredAt - sent.started
        GatewayMetrics.attempt(
            outcome,
            plan: plan,
            circuitOpen: loop.delivery.circuit == .open,
            seconds: Double(elapsed.milliseconds) / 1000
        )
        settling = startSettle(plan)
        log(plan, batch: batch, elapsed: elapsed)
        if let wait = answer.waitBeforeNext { await pause(wait) }
    }

    mutating func awaitSettle() async {
        guard let settling else { preconditionFailure("ForwarderLoop waits for a settle only while one is under way") }
        let result = await settling.value
        self.settling = nil
        if let after = result.after {
            backlog.observed(depth: after.depth)
            gaugesGeneration = result.generation
        }
        loop.settleLanded(written: result.after != nil)
    }

    /// Linger, the pause after a failed read, a backoff: a sleep that a graceful shutdown ends.
    func pause(_ duration: Duration) async {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
    }

    mutating func idle() async {
        let generation = doorbell.generation
        if generation != gaugesGeneration {
            await publishSpool()
            gaugesGeneration = generation
        }
        flushStatus()
        if let drained = backlog.spoolFoundEmpty() {
            // What the drain allocated and faulted in is not needed while waiting.
            let before = MemoryFootprint.residentBytes()
            MemoryFootprint.releaseUnusedPages(logger: logger)
            logger.info(
                "backlog drained; spool empty, memory handed back",
                metadata: [
                    "envelopes": "\(drained)", "rss_kib_before": "\(before >> 10)",
                    "rss_kib_after": "\(MemoryFootprint.residentBytes() >> 10)",
                ]
            )
        }
        _ = await bell.next()
    }

    mutating func finish() async {
        await publishSpool()
        statusWake?.task.cancel()
        flushStatus(force: true)
    }

    // MARK: helpers

    /// Removes the answered envelopes (and dead-letters the refused ones) in a task of its own,
    /// so the next batch is posted meanwhile. One that cannot be written leaves its envelopes in
    /// the spool: they are sent again (the server answers `duplicate`).
    private func startSettle(_ plan: ForwarderStateMachine.Plan) -> Task<Settled, Never> {
        Task { [queue, logger, doorbell, board, feedback] in
            let generation = doorbell.generation
            do {
                let after = try await queue.settle(
                    remove: plan.remove,
                    deadLetter: plan.deadLetter,
                    nowNanos: Clocks.wallNanos()
                )
                MemoryFootprint.noteActivity(plan.remove.count + plan.deadLetter.count)
                Self.publishSpool(after, board: board, feedback: feedback)
                return Settled(after: after, generation: generation)
            } catch {
                logger.error(
                    "cannot update the spool after delivery; the batch will be sent again",
                    metadata: ["error": "\(error)"]
                )
                return Settled(after: nil, generation: generation)
            }
        }
    }

    private func log(_ plan: ForwarderStateMachine.Plan, batch: [SpooledEnvelope], elapsed: Duration) {
        for letter in plan.deadLetter {
            logger.error(
                "server rejected an envelope; kept as dead letter",
                metadata: ["id": "\(letter.id)", "reason": "\(letter.reason)"]
            )
        }
        if let revoked = plan.deadLetter.first(where: { $0.reason.hasPrefix("revoked_device") }) {
            // Once per batch: the technician's next step, not only the cause.
            logger.error(
                "the case server revoked this terminal; its scans are kept as dead letters: re-enroll it (case-server enroll --device ID, then gatewayd enroll --server URL --token TOKEN), then gatewayd spool retry-dead",
                metadata: [
                    "reason": "\(revoked.reason)",
                    "dead_lettered": "\(plan.deadLetter.count { $0.reason.hasPrefix("revoked_device") })",
                ]
            )
        }
        let firstSeq = "\(batch.first?.seq ?? 0)"
        if let failure = plan.failure, let wait = plan.wait {
            logger.warning(
                "delivery failed; retrying later",
                metadata: [
                    "reason": "\(failure)", "batch": "\(batch.count)",
                    "attempt": "\(loop.delivery.consecutiveFailures)", "retry_in_ms": "\(wait.milliseconds)",
                ]
            )
        } else if let failure = plan.failure {
            logger.warning(
                "server refused a batch; \(failure)",
                metadata: ["batch": "\(batch.count)", "first_seq": "\(firstSeq)"]
            )
        } else {
            logger.info(
                "batch delivered",
                metadata: [
                    "envelopes": "\(plan.remove.count)", "dead_lettered": "\(plan.deadLetter.count)",
                    "first_seq": "\(firstSeq)", "ms": "\(elapsed.milliseconds)",
                ]
            )
        }
    }

    /// Reads the spool's status and publishes it. - Returns: the depth; nil when unreadable.
    @discardableResult
    private func publishSpool() async -> Int? {
        guard let s = try? await queue.readStatus() else { return nil }
        Self.publishSpool(s, board: board, feedback: feedback)
        return s.depth
    }

    /// Gauges for metrics; the board and the kiosk's view of the spool (memory, not a file).
    private static func publishSpool(_ s: SpoolStatus, board: ForwarderStatusBoard, feedback: FeedbackHub?) {
        let age = s.oldestSpooledAtNanos.map { Double(max(0, Clocks.wallNanos() - $0)) / 1e9 }
        GatewayMetrics.spool(depth: s.depth, bytes: s.bytes, oldestAgeSeconds: age, deadLetters: s.deadLetters)
        board.spool(s)
        feedback?.spool(depth: s.depth, deadLetters: s.deadLetters)
    }

    /// Every status goes to the board (memory) at once; the file (`forwarder.json`, for other
    /// processes) when the throttle says so.
    private mutating func publishStatus() {
        board.status(status)
        feedback?.forwarder(circuit: status.circuit)
        if statusFile.offer(status, nowNanos: Clocks.monotonicNanos()) { ForwarderStatusBoard.write(status) }
    }

    /// Idle: writes what is due, and has the bell rung when the rest will be.
    private mutating func flushStatus(force: Bool = false) {
        let now = Clocks.monotonicNanos()
        if let s = statusFile.flush(nowNanos: now, force: force) { ForwarderStatusBoard.write(s) }
        if let w = statusWake, w.at <= now { statusWake = nil }
        guard !force, let due = statusFile.dueNanos, statusWake == nil else { return }
        let task = Task { [doorbell] in
            try? await Task.sleep(for: .nanoseconds(Int64(due > now ? due - now : 0)))
            doorbell.ring()
        }
        statusWake = (due, task)
    }

    /// A batch posted and not yet answered.
    struct InFlight {
        var batch: [SpooledEnvelope]
        var started: ContinuousClock.Instant
        var task: Task<(DeliveryOutcome, ContinuousClock.Instant), Never>
    }

    /// What a settle did: the spool's status after it (nil when the write failed) and the
    /// doorbell's count before it began.
    struct Settled: Sendable {
        var after: SpoolStatus?
        var generation: UInt64
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
}
