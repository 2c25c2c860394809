import GatewayCore
import XCTest

/// The forwarder's status file: circuit changes at once, counters at most once a second, and
/// what is left unwritten is due a second after the last write.
final class StatusWriteThrottleTests: XCTestCase {
    let ms: UInt64 = 1_000_000

    func delivered(_ n: Int) -> ForwarderStatus {
        var s = ForwarderStatus()
        s.deliveredTotal = n
        s.lastSuccessAt = "t\(n)"
        s.lastAttemptAt = "t\(n)"
        return s
    }

    func testTheFirstStatusIsWrittenAndAnUnchangedOneNever() {
        var t = StatusWriteThrottle()
        XCTAssertTrue(t.offer(ForwarderStatus(), nowNanos: 0))
        XCTAssertNil(t.dueNanos)
        XCTAssertFalse(t.offer(ForwarderStatus(), nowNanos: 10_000 * ms), "nothing new to write")
        XCTAssertNil(t.flush(nowNanos: 20_000 * ms, force: true))
    }

    /// 100 batches a second for 3 s, the forwarder idle after each: 2 writes within it (at 1 s
    /// and 2 s), not 299; the last counts are due 1 s after the last write and flushed then.
    func testCountersUnderSteadyTrafficAreWrittenOnceASecondAndTheRestWhenDue() {
        var t = StatusWriteThrottle()
        XCTAssertTrue(t.offer(ForwarderStatus(), nowNanos: 0))
        var writes = 0
        for i in 1...299 {
            if t.offer(delivered(i), nowNanos: UInt64(i) * 10 * ms) { writes += 1 }
            // Idle after the batch: nothing is due yet except at a whole second.
            if let s = t.flush(nowNanos: UInt64(i) * 10 * ms + 5 * ms) { XCTFail("flushed \(s.deliveredTotal) early") }
        }
        XCTAssertEqual(writes, 2)
        XCTAssertEqual(t.dueNanos, 3000 * ms, "a second after the write at 2 s")
        XCTAssertNil(t.flush(nowNanos: 2999 * ms))
        XCTAssertEqual(t.flush(nowNanos: 3000 * ms)?.deliveredTotal, 299)
        XCTAssertNil(t.dueNanos, "the file is current")
    }

    func testStoppingFlushesWhatIsUnwritten() {
        var t = StatusWriteThrottle()
        XCTAssertTrue(t.offer(delivered(1), nowNanos: 0))
        XCTAssertFalse(t.offer(delivered(2), nowNanos: 1 * ms))
        XCTAssertEqual(t.flush(nowNanos: 2 * ms, force: true)?.deliveredTotal, 2)
    }

    func testACircuitChangeIsWrittenAtOnceEitherWay() {
        var t = StatusWriteThrottle()
        XCTAssertTrue(t.offer(delivered(1), nowNanos: 0))
        var failing = delivered(1)
        failing.circuit = "open"
        failing.consecutiveFailures = 1
        failing.lastError = "connect refused"
        failing.nextAttemptAt = "b"
        XCTAssertTrue(t.offer(failing, nowNanos: 1 * ms), "opened")
        failing.consecutiveFailures = 2
        failing.nextAttemptAt = "c"
        XCTAssertTrue(t.offer(failing, nowNanos: 2 * ms), "another failure, another due time")
        var closed = delivered(2)
        closed.lastError = "connect refused"
        XCTAssertTrue(t.offer(closed, nowNanos: 3 * ms), "closed again")
        var more = closed
        more.deliveredTotal = 3
        XCTAssertFalse(t.offer(more, nowNanos: 4 * ms), "then counters wait for the second again")
        XCTAssertEqual(t.dueNanos, 1003 * ms)
    }
}
