import GatewayCore
import XCTest

/// The forwarder's status file: circuit changes at once, counters at most once a second, and
/// nothing left unwritten when the forwarder goes idle.
final class StatusWriteThrottleTests: XCTestCase {
    let ms: UInt64 = 1_000_000

    func delivered(_ n: Int, at t: String) -> ForwarderStatus {
        var s = ForwarderStatus()
        s.deliveredTotal = n
        s.lastSuccessAt = t
        s.lastAttemptAt = t
        return s
    }

    func testTheFirstStatusIsWrittenAndAnUnchangedOneNever() {
        var t = StatusWriteThrottle()
        XCTAssertTrue(t.shouldWrite(ForwarderStatus(), nowNanos: 0, idle: false))
        XCTAssertFalse(t.shouldWrite(ForwarderStatus(), nowNanos: 10_000 * ms, idle: true), "nothing new to write")
    }

    /// 100 batches a second for 3 s: 2 writes within it (at 1 s and 2 s), not 299, and the last
    /// counts are written on going idle.
    func testCountersUnderSteadyTrafficAreWrittenOnceASecondAndFlushedWhenIdle() {
        var t = StatusWriteThrottle()
        XCTAssertTrue(t.shouldWrite(ForwarderStatus(), nowNanos: 0, idle: false))
        var writes = 0
        for i in 1...299 {
            if t.shouldWrite(delivered(i, at: "t\(i)"), nowNanos: UInt64(i) * 10 * ms, idle: false) { writes += 1 }
        }
        XCTAssertEqual(writes, 2)
        XCTAssertTrue(t.shouldWrite(delivered(299, at: "t299"), nowNanos: 2991 * ms, idle: true), "the last counts, on going idle")
        XCTAssertFalse(t.shouldWrite(delivered(299, at: "t299"), nowNanos: 2992 * ms, idle: true))
    }

    func testACircuitChangeIsWrittenAtOnceEitherWay() {
        var t = StatusWriteThrottle()
        XCTAssertTrue(t.shouldWrite(delivered(1, at: "a"), nowNanos: 0, idle: false))
        var failing = delivered(1, at: "a")
        failing.circuit = "open"
        failing.consecutiveFailures = 1
        failing.lastError = "connect refused"
        failing.nextAttemptAt = "b"
        XCTAssertTrue(t.shouldWrite(failing, nowNanos: 1 * ms, idle: false), "opened")
        failing.consecutiveFailures = 2
        failing.nextAttemptAt = "c"
        XCTAssertTrue(t.shouldWrite(failing, nowNanos: 2 * ms, idle: false), "another failure, another due time")
        var closed = delivered(2, at: "d")
        closed.lastError = "connect refused"
        XCTAssertTrue(t.shouldWrite(closed, nowNanos: 3 * ms, idle: false), "closed again")
        var more = closed
        more.deliveredTotal = 3
        XCTAssertFalse(t.shouldWrite(more, nowNanos: 4 * ms, idle: false), "then counters wait for the second again")
    }
}
