import GatewayCore
import XCTest

final class ForwarderStateMachineTests: XCTestCase {
    let backoff = Backoff(base: .seconds(1), cap: .seconds(8))

    func testAcceptedAndDuplicateLeaveRejectedIsDeadLettered() {
        var m = ForwarderStateMachine(backoff: backoff)
        let plan = m.completed(
            batch: ["a", "b", "c"],
            outcome: .results(
                .init(results: [
                    .init(id: "a", status: .accepted), .init(id: "b", status: .duplicate),
                    .init(id: "c", status: .rejected, reason: "unknown_device: x"),
                ])
            ),
            unit: 0.5
        )
        XCTAssertEqual(plan.remove, ["a", "b"])
        XCTAssertEqual(plan.deadLetter.map(\.id), ["c"])
        XCTAssertEqual(plan.deadLetter.map(\.reason), ["unknown_device: x"])
        XCTAssertNil(plan.wait)
        XCTAssertEqual(m.circuit, .closed)
    }

    func testEnvelopesTheServerDidNotMentionStayAndTheNextTryWaits() {
        var m = ForwarderStateMachine(backoff: backoff)
        let plan = m.completed(
            batch: ["a", "b"],
            outcome: .results(.init(results: [.init(id: "a", status: .accepted), .init(id: "zz", status: .accepted)])),
            unit: 0.5
        )
        XCTAssertEqual(plan.remove, ["a"], "an id we did not send must not remove anything")
        XCTAssertEqual(plan.wait, .milliseconds(500))
        XCTAssertEqual(m.circuit, .open)
    }

    func testFailuresBackOffExponentiallyAndSuccessResets() {
        var m = ForwarderStateMachine(backoff: backoff)
        var waits: [Duration] = []
        for _ in 0..<5 {
            let p = m.completed(batch: ["a"], outcome: .transportFailure(reason: "connection refused"), unit: 0.5)
            XCTAssertEqual(p.remove, [])
            XCTAssertEqual(p.failure, "connection refused")
            waits.append(p.wait!)
        }
        XCTAssertEqual(waits, [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(4)])
        XCTAssertEqual(m.consecutiveFailures, 5)
        _ = m.completed(batch: ["a"], outcome: .results(.init(results: [.init(id: "a", status: .accepted)])), unit: 0.5)
        XCTAssertEqual(m.consecutiveFailures, 0)
        XCTAssertEqual(m.circuit, .closed)
    }

    func testHTTPErrorKeepsTheBatchAndHonoursRetryAfter() {
        var m = ForwarderStateMachine(backoff: backoff)
        let p = m.completed(batch: ["a"], outcome: .httpStatus(503, retryAfter: .seconds(30)), unit: 0)
        XCTAssertEqual(p.remove, [])
        XCTAssertTrue(p.deadLetter.isEmpty)
        XCTAssertEqual(p.wait, .seconds(30))
        XCTAssertEqual(p.failure, "HTTP 503")
    }

    func testClientErrorIsolatesThePoisonEnvelopeAndDeadLettersOnlyIt() {
        var m = ForwarderStateMachine(backoff: backoff)
        XCTAssertEqual(m.batchLimit(100), 100)
        let first = m.completed(
            batch: ["a", "b", "c"],
            outcome: .httpStatus(400, retryAfter: nil, detail: "bad envelope b"),
            unit: 0.5
        )
        XCTAssertEqual(first.remove, [])
        XCTAssertTrue(first.deadLetter.isEmpty)
        XCTAssertNil(first.wait, "no backoff: the server is up, one envelope is bad")
        XCTAssertEqual(m.batchLimit(100), 1, "one at a time now")
        let a = m.completed(
            batch: ["a"],
            outcome: .results(EnvelopeResults(results: [EnvelopeResult(id: "a", status: .accepted)])),
            unit: 0.5
        )
        XCTAssertEqual(a.remove, ["a"])
        let b = m.completed(
            batch: ["b"],
            outcome: .httpStatus(400, retryAfter: nil, detail: "bad envelope b"),
            unit: 0.5
        )
        XCTAssertEqual(b.deadLetter.map(\.id), ["b"])
        XCTAssertEqual(b.deadLetter.map(\.reason), ["http_400: bad envelope b"])
        XCTAssertEqual(m.batchLimit(100), 1)
        _ = m.completed(
            batch: ["c"],
            outcome: .results(EnvelopeResults(results: [EnvelopeResult(id: "c", status: .accepted)])),
            unit: 0.5
        )
        XCTAssertEqual(m.batchLimit(100), 100, "back to full batches once the suspects are through")
        XCTAssertEqual(m.circuit, .closed)
    }

    /// Two batches in flight: the second's success, answered after the first's 400, must not end
    /// the first's isolation, and a second 400 adds its envelopes to the suspects.
    func testIsolationEndsOnlyWithTheSuspectsOwnAnswers() {
        var m = ForwarderStateMachine(backoff: backoff)
        func ok(_ ids: [String]) -> DeliveryOutcome {
            .results(EnvelopeResults(results: ids.map { EnvelopeResult(id: $0, status: .accepted) }))
        }
        _ = m.completed(batch: ["a", "b"], outcome: .httpStatus(400, retryAfter: nil, detail: nil), unit: 0.5)
        _ = m.completed(batch: ["c", "d", "e"], outcome: ok(["c", "d", "e"]), unit: 0.5)
        XCTAssertEqual(m.batchLimit(100), 1, "a and b are still suspects")
        _ = m.completed(batch: ["f", "g"], outcome: .httpStatus(422, retryAfter: nil, detail: nil), unit: 0.5)
        XCTAssertEqual(m.isolating, ["a", "b", "f", "g"])
        _ = m.completed(batch: ["a"], outcome: ok(["a"]), unit: 0.5)
        _ = m.completed(batch: ["b"], outcome: .httpStatus(400, retryAfter: nil, detail: nil), unit: 0.5)
        _ = m.completed(batch: ["f"], outcome: ok(["f"]), unit: 0.5)
        XCTAssertEqual(m.batchLimit(100), 1, "g is still to go")
        _ = m.completed(batch: ["g"], outcome: ok(["g"]), unit: 0.5)
        XCTAssertEqual(m.batchLimit(100), 100)
    }

    func testSetUpErrorsAndThrottlingAreRetriedNotDeadLettered() {
        var m = ForwarderStateMachine(backoff: backoff)
        for status in [401, 403, 404, 408, 429] {
            let p = m.completed(batch: ["a", "b"], outcome: .httpStatus(status, retryAfter: .seconds(2)), unit: 0)
            XCTAssertTrue(p.deadLetter.isEmpty)
            XCTAssertEqual(p.wait, .seconds(2))
            XCTAssertEqual(
                m.batchLimit(100),
                ForwarderStateMachine.trialBatch,
                "the circuit is open: a small trial, not one envelope"
            )
        }
    }

    func testAnOpenCircuitTriesASmallBatchAndTheFirstAnswerRestoresFullOnes() {
        var m = ForwarderStateMachine(backoff: backoff)
        XCTAssertEqual(m.batchLimit(500), 500)
        _ = m.completed(batch: ["a", "b"], outcome: .transportFailure(reason: "connection refused"), unit: 0.5)
        XCTAssertEqual(m.batchLimit(500), 10)
        XCTAssertEqual(m.batchLimit(4), 4, "never more than configured")
        _ = m.completed(batch: ["a"], outcome: .httpStatus(503, retryAfter: nil), unit: 0.5)
        XCTAssertEqual(m.batchLimit(500), 10)
        _ = m.completed(batch: ["a"], outcome: .results(.init(results: [.init(id: "a", status: .accepted)])), unit: 0.5)
        XCTAssertEqual(m.circuit, .closed)
        XCTAssertEqual(m.batchLimit(500), 500)
    }
}
