import GatewayCore
import XCTest

final class ForwarderLoopTests: XCTestCase {
    let backoff = Backoff(base: .seconds(1), cap: .seconds(8))

    func makeLoop(
        batchMax: Int = 500,
        batchMaxBytes: Int = 1 << 20,
        linger: Bool = false,
        depth: Int = 2
    ) -> ForwarderLoop {
        ForwarderLoop(
            delivery: ForwarderStateMachine(backoff: backoff),
            batchMax: batchMax,
            batchMaxBytes: batchMaxBytes,
            lingerEnabled: linger,
            pipelineDepth: depth
        )
    }

    func accepted(_ seqs: ClosedRange<UInt64>) -> DeliveryOutcome {
        .results(EnvelopeResults(results: seqs.map { EnvelopeResult(id: "e\($0)", status: .accepted) }))
    }

    func ids(_ seqs: ClosedRange<UInt64>) -> [String] { seqs.map { "e\($0)" } }

    // MARK: - Reads that are not made

    func testALoneScanCostsOneRead() {
        var loop = makeLoop()
        XCTAssertEqual(loop.next(generation: 1), .peek(limit: 500, afterSeq: 0))
        loop.peeked(sizes: [300], lastSeq: 7, generation: 1)
        XCTAssertEqual(loop.next(generation: 1), .post(count: 1))
        loop.posted(lastSeq: 7)
        // Room for a second batch, but nothing was committed since the read that found seq 7.
        XCTAssertEqual(loop.next(generation: 1), .answerOldest)
        let answer = loop.answered(ids: ["e7"], outcome: accepted(7...7), unit: 0.5)
        XCTAssertEqual(answer.plan.remove, ["e7"])
        XCTAssertNil(answer.waitBeforeNext)
        XCTAssertEqual(loop.next(generation: 1), .awaitSettle)
        loop.settleLanded(written: true)
        XCTAssertEqual(
            loop.next(generation: 1),
            .idle,
            "seq 7 is settled and nothing after it existed: the spool is empty"
        )
        XCTAssertEqual(loop.readsSkipped, 3)
        XCTAssertEqual(loop.next(generation: 1), .idle, "a wake-up that was already seen changes nothing")
    }

    func testARingMeansTheReadIsMade() {
        var loop = makeLoop()
        _ = loop.next(generation: 1)
        loop.peeked(sizes: [300], lastSeq: 7, generation: 1)
        _ = loop.next(generation: 1)
        loop.posted(lastSeq: 7)
        XCTAssertEqual(
            loop.next(generation: 2),
            .peek(limit: 500, afterSeq: 7),
            "a commit since: read after what was sent"
        )
        loop.peeked(sizes: [], lastSeq: nil, generation: 2)
        XCTAssertEqual(loop.next(generation: 2), .answerOldest)
        _ = loop.answered(ids: ["e7"], outcome: accepted(7...7), unit: 0.5)
        XCTAssertEqual(
            loop.next(generation: 3),
            .peek(limit: 500, afterSeq: 7),
            "while settling, the read starts after what was sent"
        )
        loop.peeked(sizes: [], lastSeq: nil, generation: 3)
        XCTAssertEqual(loop.next(generation: 3), .awaitSettle)
        loop.settleLanded(written: true)
        XCTAssertEqual(loop.next(generation: 3), .idle)
        XCTAssertEqual(
            loop.next(generation: 4),
            .peek(limit: 500, afterSeq: 0),
            "the ticker's ring: a read from the oldest"
        )
    }

    func testAReadThatFilledItsLimitProvesNothing() {
        var loop = makeLoop(batchMax: 2)
        _ = loop.next(generation: 1)
        loop.peeked(sizes: [10, 10], lastSeq: 2, generation: 1)
        XCTAssertEqual(loop.next(generation: 1), .post(count: 2))
        loop.posted(lastSeq: 2)
        XCTAssertEqual(loop.next(generation: 1), .peek(limit: 2, afterSeq: 2), "more may be waiting behind a full read")
    }

    func testWhatTheByteBoundLeftBehindIsReadAgain() {
        var loop = makeLoop(batchMaxBytes: 100)
        _ = loop.next(generation: 1)
        loop.peeked(sizes: [80, 80, 80], lastSeq: 3, generation: 1)
        XCTAssertEqual(loop.next(generation: 1), .post(count: 1))
        loop.posted(lastSeq: 1)
        XCTAssertEqual(
            loop.next(generation: 1),
            .peek(limit: 500, afterSeq: 1),
            "2 and 3 are known to exist: no skipping them"
        )
    }

    func testASettleThatWasNotWrittenSendsAgainFromTheOldest() {
        var loop = makeLoop()
        _ = loop.next(generation: 1)
        loop.peeked(sizes: [10], lastSeq: 4, generation: 1)
        _ = loop.next(generation: 1)
        loop.posted(lastSeq: 4)
        XCTAssertEqual(loop.next(generation: 1), .answerOldest)
        _ = loop.answered(ids: ["e4"], outcome: accepted(4...4), unit: 0.5)
        XCTAssertEqual(loop.next(generation: 1), .awaitSettle)
        loop.settleLanded(written: false)
        XCTAssertEqual(loop.next(generation: 1), .peek(limit: 500, afterSeq: 0), "seq 4 is still in the spool")
    }

    func testEnvelopesBeforeTheLastSentAfterARewindAreNotSkipped() {
        // A failure rewinds: the read from the oldest finds two envelopes, lingers for more, and
        // the read after the linger must be made although nothing rang.
        var loop = makeLoop(linger: true)
        _ = loop.next(generation: 1)
        loop.peeked(sizes: [10], lastSeq: 9, generation: 1)
        _ = loop.next(generation: 1)
        loop.posted(lastSeq: 9)
        _ = loop.next(generation: 1)
        let failed = loop.answered(ids: ["e9"], outcome: .transportFailure(reason: "refused"), unit: 0.5)
        XCTAssertEqual(failed.waitBeforeNext, .milliseconds(500))
        XCTAssertEqual(loop.next(generation: 1), .awaitSettle)
        loop.settleLanded(written: true)
        XCTAssertEqual(
            loop.next(generation: 1),
            .peek(limit: ForwarderStateMachine.trialBatch, afterSeq: 0),
            "the circuit is open: a trial batch"
        )
        loop.peeked(sizes: [10, 10], lastSeq: 9, generation: 1)
        XCTAssertEqual(loop.next(generation: 1), .post(count: 2), "the circuit is open: no linger")
        loop.posted(lastSeq: 9)
        _ = loop.next(generation: 1)
        _ = loop.answered(
            ids: ["e8", "e9"],
            outcome: .results(
                .init(results: [.init(id: "e8", status: .accepted), .init(id: "e9", status: .accepted)])
            ),
            unit: 0.5
        )
        XCTAssertEqual(loop.next(generation: 1), .awaitSettle)
        loop.settleLanded(written: true)
        XCTAssertEqual(loop.next(generation: 1), .idle)

        // Circuit closed now: a second failure, then a read from the oldest that lingers.
        XCTAssertEqual(loop.next(generation: 2), .peek(limit: 500, afterSeq: 0))
        loop.peeked(sizes: [10], lastSeq: 12, generation: 2)
        _ = loop.next(generation: 2)
        loop.posted(lastSeq: 12)
        _ = loop.next(generation: 2)
        _ = loop.answered(ids: ["e12"], outcome: .httpStatus(503, retryAfter: nil), unit: 0.5)
        _ = loop.next(generation: 2)
        loop.settleLanded(written: true)
        XCTAssertEqual(loop.next(generation: 2), .peek(limit: ForwarderStateMachine.trialBatch, afterSeq: 0))
        loop.peeked(sizes: [10], lastSeq: 12, generation: 2)
        _ = loop.next(generation: 2)
        loop.posted(lastSeq: 12)
        _ = loop.next(generation: 2)
        _ = loop.answered(ids: ["e12"], outcome: accepted(12...12), unit: 0.5)
        _ = loop.next(generation: 2)
        loop.settleLanded(written: true)
        XCTAssertEqual(loop.next(generation: 3), .peek(limit: 500, afterSeq: 0))
        loop.peeked(sizes: [10, 10], lastSeq: 14, generation: 3)
        XCTAssertEqual(loop.next(generation: 3), .linger)
        XCTAssertEqual(loop.next(generation: 3), .peek(limit: 500, afterSeq: 0), "13 and 14 were found, not sent")
        loop.peeked(sizes: [10, 10], lastSeq: 14, generation: 3)
        XCTAssertEqual(loop.next(generation: 3), .post(count: 2), "lingered once already")
    }

    func testEnvelopesPutBackFromOutsideAreSentAfterALingerAtTheTickersRing() {
        // Dead letters put back by `spool retry-dead` keep their old, lower numbers and ring
        // nothing: the ticker's read finds them, and the read after the linger must be made.
        var loop = makeLoop(linger: true)
        _ = loop.next(generation: 1)
        loop.peeked(sizes: [10], lastSeq: 10, generation: 1)
        _ = loop.next(generation: 1)
        loop.posted(lastSeq: 10)
        _ = loop.next(generation: 1)
        _ = loop.answered(ids: ["e10"], outcome: accepted(10...10), unit: 0.5)
        _ = loop.next(generation: 1)
        loop.settleLanded(written: true)
        XCTAssertEqual(loop.next(generation: 1), .idle)
        XCTAssertEqual(loop.next(generation: 2), .peek(limit: 500, afterSeq: 0), "the ticker's ring")
        loop.peeked(sizes: [10, 10], lastSeq: 6, generation: 2)
        XCTAssertEqual(loop.next(generation: 2), .linger)
        XCTAssertEqual(loop.next(generation: 2), .peek(limit: 500, afterSeq: 0), "5 and 6 were found, not sent")
        loop.peeked(sizes: [10, 10], lastSeq: 6, generation: 2)
        XCTAssertEqual(loop.next(generation: 2), .post(count: 2))
    }

    // MARK: - Pipelining, rewind, waits

    func testTwoBatchesInFlightWhileDeliveriesSucceedOneAfterAFailure() {
        var loop = makeLoop(batchMax: 2)
        _ = loop.next(generation: 1)
        loop.peeked(sizes: [1, 1], lastSeq: 2, generation: 1)
        _ = loop.next(generation: 1)
        loop.posted(lastSeq: 2)
        XCTAssertEqual(loop.next(generation: 1), .peek(limit: 2, afterSeq: 2))
        loop.peeked(sizes: [1, 1], lastSeq: 4, generation: 1)
        XCTAssertEqual(loop.next(generation: 1), .post(count: 2))
        loop.posted(lastSeq: 4)
        XCTAssertEqual(loop.inFlight, [2, 4])
        XCTAssertEqual(loop.next(generation: 1), .answerOldest, "two in flight: the oldest is answered first")
        let first = loop.answered(ids: ids(1...2), outcome: .transportFailure(reason: "reset"), unit: 0.5)
        XCTAssertEqual(first.waitBeforeNext, .milliseconds(500))
        XCTAssertEqual(loop.next(generation: 5), .awaitSettle, "after a failure nothing new is read or posted")
        loop.settleLanded(written: true)
        XCTAssertEqual(loop.next(generation: 5), .answerOldest)
        let second = loop.answered(ids: ids(3...4), outcome: .transportFailure(reason: "reset"), unit: 0.5)
        XCTAssertNil(second.waitBeforeNext, "posted before the failure was known: its wait is already served")
        XCTAssertEqual(second.plan.wait, .seconds(1))
        XCTAssertEqual(loop.next(generation: 5), .awaitSettle)
        loop.settleLanded(written: true)
        XCTAssertEqual(loop.next(generation: 5), .peek(limit: 2, afterSeq: 0), "rewound: from the oldest")
        loop.peeked(sizes: [1, 1], lastSeq: 2, generation: 5)
        XCTAssertEqual(loop.next(generation: 5), .post(count: 2))
        loop.posted(lastSeq: 2)
        XCTAssertEqual(loop.next(generation: 5), .answerOldest, "the circuit is open: one batch at a time")
        let third = loop.answered(ids: ids(1...2), outcome: .transportFailure(reason: "reset"), unit: 0.5)
        XCTAssertEqual(third.waitBeforeNext, .seconds(2), "a new failure after the rewind waits again")
    }

    func testAContentErrorTakesTheBatchApartOneAtATime() {
        var loop = makeLoop()
        _ = loop.next(generation: 1)
        loop.peeked(sizes: [1, 1, 1], lastSeq: 3, generation: 1)
        _ = loop.next(generation: 1)
        loop.posted(lastSeq: 3)
        _ = loop.next(generation: 1)
        let answer = loop.answered(ids: ids(1...3), outcome: .httpStatus(422, retryAfter: nil), unit: 0.5)
        XCTAssertNil(answer.waitBeforeNext)
        XCTAssertEqual(loop.next(generation: 1), .awaitSettle)
        loop.settleLanded(written: true)
        XCTAssertEqual(loop.next(generation: 1), .peek(limit: 1, afterSeq: 0))
        loop.peeked(sizes: [1], lastSeq: 1, generation: 1)
        XCTAssertEqual(loop.next(generation: 1), .post(count: 1))
        loop.posted(lastSeq: 1)
        XCTAssertEqual(loop.next(generation: 1), .answerOldest, "one at a time while isolating")
    }

    func testLingerOnlyWithNothingInFlightAndOncePerBatch() {
        var loop = makeLoop(linger: true)
        _ = loop.next(generation: 1)
        loop.peeked(sizes: [1, 1], lastSeq: 2, generation: 1)
        XCTAssertEqual(loop.next(generation: 1), .linger)
        XCTAssertEqual(loop.next(generation: 2), .peek(limit: 500, afterSeq: 0))
        loop.peeked(sizes: [1, 1, 1], lastSeq: 3, generation: 2)
        XCTAssertEqual(loop.next(generation: 2), .post(count: 3))
        loop.posted(lastSeq: 3)
        XCTAssertEqual(loop.next(generation: 3), .peek(limit: 500, afterSeq: 3))
        loop.peeked(sizes: [1, 1], lastSeq: 5, generation: 3)
        XCTAssertEqual(loop.next(generation: 3), .answerOldest, "a batch in flight: its answer is the wait")
    }

    func testAReadErrorPausesOnlyWithNothingPending() {
        var loop = makeLoop()
        _ = loop.next(generation: 1)
        loop.readFailed()
        XCTAssertEqual(loop.next(generation: 1), .pauseAfterReadError)
        XCTAssertEqual(loop.next(generation: 1), .peek(limit: 500, afterSeq: 0))
        loop.peeked(sizes: [1], lastSeq: 1, generation: 1)
        _ = loop.next(generation: 1)
        loop.posted(lastSeq: 1)
        XCTAssertEqual(loop.next(generation: 2), .peek(limit: 500, afterSeq: 1))
        loop.readFailed()
        XCTAssertEqual(loop.next(generation: 2), .answerOldest)
    }

    func testStoppingAnswersAndSettlesWhatWasSentThenFinishes() {
        var loop = makeLoop(batchMax: 1)
        _ = loop.next(generation: 1)
        loop.peeked(sizes: [1], lastSeq: 1, generation: 1)
        _ = loop.next(generation: 1)
        loop.posted(lastSeq: 1)
        _ = loop.next(generation: 1)
        loop.peeked(sizes: [1], lastSeq: 2, generation: 1)
        _ = loop.next(generation: 1)
        loop.posted(lastSeq: 2)
        loop.stop()
        XCTAssertEqual(loop.next(generation: 9), .answerOldest)
        _ = loop.answered(ids: ["e1"], outcome: accepted(1...1), unit: 0.5)
        XCTAssertEqual(loop.next(generation: 9), .awaitSettle)
        loop.settleLanded(written: true)
        XCTAssertEqual(loop.next(generation: 9), .answerOldest)
        _ = loop.answered(ids: ["e2"], outcome: accepted(2...2), unit: 0.5)
        XCTAssertEqual(loop.next(generation: 9), .awaitSettle)
        loop.settleLanded(written: true)
        XCTAssertEqual(loop.next(generation: 9), .finished)
    }

    // MARK: - Against a model of the spool

    /// Drives the loop against an in-memory spool with commits (each followed by a ring) at
    /// random moments — also between the loop noting the count and its read — dead letters
    /// put back from outside with their old sequence numbers and no ring (`spool retry-dead`),
    /// random answers (accepted, rejected, partial, 503, transport failure, 422), settles that
    /// fail, and in some runs a stop with batches in flight. Checks: when the loop goes to sleep
    /// (idles with no ring pending) the spool holds only what was put back from outside since a
    /// ring last reached it asleep; a stop finishes with nothing in flight or settling; nothing is lost (every
    /// envelope is delivered, a dead letter, or still in the spool); without a stop, everything
    /// is delivered or dead-lettered; and reads were skipped (over all runs: with a batch limit
    /// of 1 and many failures, one run may have no read to skip).
    func testAgainstAModelSpoolNothingIsLeftBehind() {
        var readsMade = 0
        var readsSkipped = 0
        for seed in UInt64(1)...80 {
            var rng = SplitMix64(seed: seed)
            // Up to 40 so that the open circuit's trial batch (10) also limits some runs.
            var loop = makeLoop(
                batchMax: 1 + Int(rng.next() % 40),
                batchMaxBytes: 20 + Int(rng.next() % 200),
                linger: rng.next() % 2 == 0
            )
            var spool: [UInt64: Int] = [:]
            var dead: [UInt64: Int] = [:]
            var nextSeq: UInt64 = 1
            var generation: UInt64 = 0
            var toCommit = 200 + Int(rng.next() % 200)
            var putBacks = 0
            let stopAt = seed % 3 == 0 ? 50 + Int(rng.next() % 2000) : Int.max
            var delivered = Set<UInt64>()
            var posted: [[UInt64]] = []
            var found: [UInt64] = []
            var plan: ForwarderStateMachine.Plan?
            var steps = 0
            var reads = 0
            // The doorbell keeps one ring for a waiter that is not waiting yet (AsyncStream,
            // bufferingNewest(1)): an idle with a ring pending wakes at once.
            var bellPending = false
            // Put back from outside since a ring last reached the loop asleep.
            var sinceWake = Set<UInt64>()
            var stopped = false
            func commit(_ rng: inout SplitMix64) {
                guard toCommit > 0 else { return }
                let n = min(toCommit, 1 + Int(rng.next() % 4))
                for _ in 0..<n {
                    spool[nextSeq] = 1 + Int(rng.next() % 15)
                    nextSeq += 1
                }
                toCommit -= n
                generation += 1
                bellPending = true
            }
            func maybeCommit(_ rng: inout SplitMix64) { if rng.next() % 5 == 0 { commit(&rng) } }
            func maybePutBack(_ rng: inout SplitMix64) {
                guard !stopped, putBacks < 40, !dead.isEmpty, rng.next() % 30 == 0 else { return }
                for s in dead.keys.sorted().prefix(1 + Int(rng.next() % 3)) {
                    spool[s] = dead.removeValue(forKey: s)
                    sinceWake.insert(s)
                    putBacks += 1
                }
            }
            func seq(_ id: String) -> UInt64 { UInt64(id.dropFirst())! }

            run: while true {
                steps += 1
                guard steps < 300_000 else { return XCTFail("seed \(seed): no end after \(steps) steps") }
                if steps == stopAt {
                    loop.stop()
                    stopped = true
                }
                maybeCommit(&rng)
                maybePutBack(&rng)
                let action = loop.next(generation: generation)
                switch action {
                case .peek(let limit, let after):
                    reads += 1
                    let g = generation
                    maybeCommit(&rng)  // a commit between the count and the read: the read sees it
                    maybePutBack(&rng)
                    if rng.next() % 25 == 0 {
                        loop.readFailed()
                        continue
                    }
                    found = Array(spool.keys.filter { $0 > after }.sorted().prefix(limit))
                    loop.peeked(sizes: found.map { spool[$0]! }, lastSeq: found.last, generation: g)
                case .post(let count):
                    XCTAssert(count >= 1 && count <= found.count, "seed \(seed)")
                    posted.append(Array(found.prefix(count)))
                    loop.posted(lastSeq: posted.last!.last!)
                case .answerOldest:
                    let batch = posted.removeFirst()
                    let ids = batch.map { "e\($0)" }
                    let outcome: DeliveryOutcome
                    switch rng.next() % 20 {
                    case 0: outcome = .transportFailure(reason: "reset")
                    case 1: outcome = .httpStatus(503, retryAfter: nil)
                    case 2: outcome = .httpStatus(422, retryAfter: nil)
                    case 3: outcome = .results(.init(results: ids.dropLast().map { .init(id: $0, status: .accepted) }))
                    case 4:
                        outcome = .results(
                            .init(
                                results: ids.enumerated().map {
                                    .init(id: $1, status: $0 == 0 ? .rejected : .duplicate)
                                }
                            )
                        )
                    default: outcome = .results(.init(results: ids.map { .init(id: $0, status: .accepted) }))
                    }
                    plan = loop.answered(ids: ids, outcome: outcome, unit: 0.5).plan
                case .awaitSettle:
                    let written = rng.next() % 15 != 0
                    if written, let p = plan {
                        for id in p.remove where spool.removeValue(forKey: seq(id)) != nil { delivered.insert(seq(id)) }
                        for l in p.deadLetter {
                            if let size = spool.removeValue(forKey: seq(l.id)) { dead[seq(l.id)] = size }
                        }
                    }
                    plan = nil
                    loop.settleLanded(written: written)
                case .linger, .pauseAfterReadError:
                    maybeCommit(&rng)
                case .idle:
                    if bellPending {
                        // A ring from before it slept, already counted: not a new wake-up.
                        bellPending = false
                        continue
                    }
                    XCTAssertTrue(
                        Set(spool.keys).isSubset(of: sinceWake),
                        "seed \(seed): asleep with \(spool.keys.sorted().prefix(5)) in the spool, not all put back since it woke \(sinceWake.sorted().prefix(5))"
                    )
                    XCTAssertTrue(posted.isEmpty && !loop.settling, "seed \(seed)")
                    // A ring arrives while it sleeps: the ticker for what was put back, else a
                    // commit. What was put back before this is found from now on.
                    sinceWake = []
                    if !spool.isEmpty {
                        generation += 1
                        continue
                    }
                    if toCommit > 0 {
                        commit(&rng)
                        bellPending = false
                        continue
                    }
                    loop.stop()
                    stopped = true
                case .finished:
                    XCTAssertTrue(posted.isEmpty && plan == nil && !loop.settling, "seed \(seed)")
                    break run
                }
            }
            let everything = Set(UInt64(1)..<nextSeq)
            let deadSet = Set(dead.keys)
            let left = Set(spool.keys)
            XCTAssertEqual(delivered.union(deadSet).union(left), everything, "seed \(seed): lost envelopes")
            XCTAssertTrue(
                delivered.isDisjoint(with: deadSet) && delivered.isDisjoint(with: left)
                    && deadSet.isDisjoint(with: left),
                "seed \(seed)"
            )
            if stopAt == .max { XCTAssertTrue(left.isEmpty, "seed \(seed): \(left.count) never delivered") }
            readsMade += reads
            readsSkipped += loop.readsSkipped
        }
        XCTAssertGreaterThan(readsSkipped, readsMade / 10, "\(readsMade) reads made, \(readsSkipped) skipped")
    }
}
