import GatewayCore
import XCTest

/// The probe's clock check: what one exchange with a server's `Date` proves about the offset.
final class ClockOffsetTests: XCTestCase {
    let s: Int64 = 1_000_000_000
    let ms: Int64 = 1_000_000
    let date: Int64 = 1_764_000_000

    func testAFastExchangeWithARightClockIsWithin() {
        // Sent 300 ms into the server's second, answered 4 ms later.
        let o = ClockOffset(
            sentAtNanos: date * s + 300 * ms,
            receivedAtNanos: date * s + 304 * ms,
            serverDateSeconds: date
        )
        XCTAssertEqual(o.lowMs, -700)
        XCTAssertEqual(o.highMs, 304)
        XCTAssertEqual(o.estimateMs, -198)
        XCTAssertEqual(o.uncertaintyMs, 502)
        XCTAssertEqual(o.verdict(limitMs: 2000), .within)
    }

    func testATerminal120SecondsAheadIsBeyond() {
        let o = ClockOffset(
            sentAtNanos: (date + 120) * s + 500 * ms,
            receivedAtNanos: (date + 120) * s + 510 * ms,
            serverDateSeconds: date
        )
        XCTAssertEqual(o.lowMs, 119_500)
        XCTAssertEqual(o.highMs, 120_510)
        XCTAssertEqual(o.verdict(limitMs: 2000), .beyond)
        XCTAssertEqual(o.verdict(limitMs: 119_499), .beyond)
        XCTAssertEqual(o.verdict(limitMs: 119_500), .unknown, "an offset of exactly the limit is allowed")
        XCTAssertEqual(o.verdict(limitMs: 120_510), .within)
    }

    func testATerminalBehindIsBeyondOnTheOtherSide() {
        let o = ClockOffset(
            sentAtNanos: (date - 5) * s,
            receivedAtNanos: (date - 5) * s + 20 * ms,
            serverDateSeconds: date
        )
        XCTAssertEqual(o.highMs, -4980)
        XCTAssertLessThan(o.estimateMs, -5000)
        XCTAssertEqual(o.verdict(limitMs: 2000), .beyond)
    }

    /// The CI case: a right clock, an 8.2 s exchange, the server's Date stamped late in it. The
    /// estimate reads about −3 s; the exchange cannot tell that from 0, so no warning.
    func testASlowExchangeCannotTell() {
        let sent = date * s - 6_600 * ms
        let o = ClockOffset(sentAtNanos: sent, receivedAtNanos: sent + 8_225 * ms, serverDateSeconds: date)
        XCTAssertEqual(o.lowMs, -7600)
        XCTAssertEqual(o.highMs, 1625)
        XCTAssertLessThan(o.estimateMs, -2000, "the estimate alone would have warned")
        XCTAssertEqual(o.verdict(limitMs: 2000), .unknown)
        // ...but a terminal 60 s ahead is caught even over that link.
        let ahead = ClockOffset(
            sentAtNanos: sent + 60 * s,
            receivedAtNanos: sent + 60 * s + 8_225 * ms,
            serverDateSeconds: date
        )
        XCTAssertEqual(ahead.verdict(limitMs: 2000), .beyond)
    }

    func testAClockSteppedBackDuringTheExchangeStillGivesAnInterval() {
        let o = ClockOffset(
            sentAtNanos: date * s + 900 * ms,
            receivedAtNanos: date * s + 100 * ms,
            serverDateSeconds: date
        )
        XCTAssertLessThanOrEqual(o.lowMs, o.highMs)
        XCTAssertEqual(o.lowMs, -100)
        XCTAssertEqual(o.highMs, 900)
    }
}
