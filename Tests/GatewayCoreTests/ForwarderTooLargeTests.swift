import GatewayCore
import XCTest

/// A 413 (the batch is larger than the server takes) never loses or dead-letters a scan: the
/// forwarder adopts the limits the answer names, or halves, and sends again.
final class ForwarderTooLargeTests: XCTestCase {
    let backoff = Backoff(base: .seconds(1), cap: .seconds(8))
    let caseServer413 =
        #"{"max_envelopes":100,"max_bytes":65536,"error":"batch of 500 envelopes: send at most 100 envelopes and 65536 bytes per request"}"#

    func ids(_ n: Int) -> [String] { (1...n).map { "e\($0)" } }

    func testTheLimitsACaseServer413NamesAreRead() {
        XCTAssertEqual(BatchLimitsAnswer(caseServer413), BatchLimitsAnswer(maxEnvelopes: 100, maxBytes: 65536))
        XCTAssertEqual(
            BatchLimitsAnswer(#"{"max_bytes" : 2048, "max_envelopes": 7"#),
            BatchLimitsAnswer(maxEnvelopes: 7, maxBytes: 2048),
            "cut off after the numbers: still read"
        )
        XCTAssertEqual(BatchLimitsAnswer("<html><body>413 Request Entity Too Large</body></html>"), BatchLimitsAnswer())
        XCTAssertEqual(BatchLimitsAnswer(#"{"max_envelopes":0,"max_bytes":-5}"#), BatchLimitsAnswer())
        XCTAssertEqual(BatchLimitsAnswer(nil), BatchLimitsAnswer())
    }

    func testA413NamingLimitsIsAdoptedAndNothingLeavesOrDies() {
        var m = ForwarderStateMachine(backoff: backoff)
        let plan = m.completed(
            batch: ids(500),
            outcome: .httpStatus(413, retryAfter: nil, detail: caseServer413),
            unit: 0.5
        )
        XCTAssertEqual(plan.remove, [])
        XCTAssertEqual(plan.deadLetter.count, 0)
        XCTAssertNil(plan.wait, "not the link's fault: send again at once")
        XCTAssertNotNil(plan.failure, "the loop reads again from the oldest")
        XCTAssertEqual(m.consecutiveFailures, 0)
        XCTAssertEqual(m.circuit, .closed)
        XCTAssertEqual(m.batchLimit(500), 100)
        XCTAssertEqual(m.byteLimit(1 << 20), 65536)
        XCTAssertEqual(m.byteLimit(4096), 4096, "a smaller configured bound still holds")
        // The limits hold for later batches, and through a success.
        _ = m.completed(batch: ["x"], outcome: .results(.init(results: [.init(id: "x", status: .accepted)])), unit: 0.5)
        XCTAssertEqual(m.batchLimit(500), 100)
    }

    func testA413NamingNothingOrWhatTheBatchKeptHalvesIt() {
        var m = ForwarderStateMachine(backoff: backoff)
        _ = m.completed(batch: ids(400), outcome: .httpStatus(413, retryAfter: nil, detail: "<html>"), unit: 0.5)
        XCTAssertEqual(m.batchLimit(500), 200)
        XCTAssertEqual(m.byteLimit(1 << 20), 1 << 20)
        _ = m.completed(batch: ids(200), outcome: .httpStatus(413, retryAfter: nil, detail: caseServer413), unit: 0.5)
        XCTAssertEqual(m.batchLimit(500), 100)
        _ = m.completed(batch: ids(100), outcome: .httpStatus(413, retryAfter: nil, detail: caseServer413), unit: 0.5)
        XCTAssertEqual(m.batchLimit(500), 50, "a batch within the named count was refused: halve anyway")
        _ = m.completed(batch: ids(3), outcome: .httpStatus(413, retryAfter: nil, detail: nil), unit: 0.5)
        XCTAssertEqual(m.batchLimit(500), 1)
    }

    func testALoneEnvelopeRefusedAsTooLargeStaysAndIsRetriedWithBackoff() {
        var m = ForwarderStateMachine(backoff: backoff)
        let plan = m.completed(
            batch: ["big"],
            outcome: .httpStatus(413, retryAfter: .seconds(30), detail: caseServer413),
            unit: 0.5
        )
        XCTAssertEqual(plan.remove, [])
        XCTAssertEqual(plan.deadLetter.count, 0, "a dead letter would lose the scan; the server's limit can be raised")
        XCTAssertEqual(plan.wait, .seconds(30) + .milliseconds(500))
        XCTAssertEqual(m.circuit, .open)
        let next = m.completed(
            batch: ["big"],
            outcome: .results(.init(results: [.init(id: "big", status: .accepted)])),
            unit: 0.5
        )
        XCTAssertEqual(next.remove, ["big"])
        XCTAssertEqual(m.circuit, .closed)
    }

    func testA413WhileIsolatingA400EndsThatEnvelopesIsolationWithoutADeadLetter() {
        var m = ForwarderStateMachine(backoff: backoff)
        _ = m.completed(batch: ["a", "b"], outcome: .httpStatus(400, retryAfter: nil, detail: "bad"), unit: 0.5)
        XCTAssertEqual(m.batchLimit(500), 1)
        let plan = m.completed(batch: ["a"], outcome: .httpStatus(413, retryAfter: nil, detail: nil), unit: 0.5)
        XCTAssertEqual(plan.deadLetter.count, 0)
        XCTAssertEqual(m.isolating, ["b"])
    }

    func testTheLoopSendsWithinTheAdoptedLimits() {
        var loop = ForwarderLoop(
            delivery: ForwarderStateMachine(backoff: backoff),
            batchMax: 500,
            batchMaxBytes: 1 << 20,
            lingerEnabled: false,
            pipelineDepth: 1
        )
        XCTAssertEqual(loop.next(generation: 1), .peek(limit: 500, afterSeq: 0))
        loop.peeked(sizes: Array(repeating: 1000, count: 500), lastSeq: 500, generation: 1)
        XCTAssertEqual(loop.next(generation: 1), .post(count: 500))
        loop.posted(lastSeq: 500)
        XCTAssertEqual(loop.next(generation: 1), .answerOldest)
        let answer = loop.answered(
            ids: ids(500),
            outcome: .httpStatus(413, retryAfter: nil, detail: caseServer413),
            unit: 0.5
        )
        XCTAssertEqual(answer.plan.deadLetter.count, 0)
        XCTAssertNil(answer.waitBeforeNext)
        loop.settleLanded(written: true)
        XCTAssertEqual(loop.next(generation: 1), .peek(limit: 100, afterSeq: 0), "again from the oldest, 100 at most")
        loop.peeked(sizes: Array(repeating: 1000, count: 100), lastSeq: 100, generation: 1)
        // 65536 bytes of body: 16 of framing, then 1001 per envelope with its comma (less one).
        XCTAssertEqual(loop.next(generation: 1), .post(count: 65))
    }

    func testABodyIsCountedWithItsFraming() {
        // {"envelopes":[ + 10 + , + 10 + ]} = 37 bytes.
        XCTAssertEqual(BatchPolicy.take(sizes: [10, 10, 10], maxCount: 10, maxBodyBytes: 37), 2)
        XCTAssertEqual(BatchPolicy.take(sizes: [10, 10, 10], maxCount: 10, maxBodyBytes: 36), 1)
        XCTAssertEqual(BatchPolicy.take(sizes: [100], maxCount: 10, maxBodyBytes: 20), 1, "one too large still goes")
    }
}
