import CaseServerKit
import Logging
import NIOCore
import NIOEmbedded
import XCTest

/// The connection bound and timeouts: the state machine alone, then its handler on an
/// embedded channel whose clock the test moves.
final class ConnectionGuardTests: XCTestCase {
    let limits = ConnectionTimeouts.Limits(header: .seconds(10), idle: .seconds(75), request: .seconds(60))

    func testEachPhaseHasItsTimer() {
        var t = ConnectionTimeouts(limits: limits)
        XCTAssertEqual(t.opened(), .schedule(.seconds(10)))
        XCTAssertEqual(t.bytesRead(), .none, "a trickled head does not restart the header timer")
        XCTAssertEqual(t.headReceived(), .schedule(.seconds(60)))
        XCTAssertEqual(t.bytesRead(), .none)
        XCTAssertEqual(t.requestAnswered(), .schedule(.seconds(75)))
        XCTAssertEqual(t.phase, .idle)
        XCTAssertEqual(t.bytesRead(), .schedule(.seconds(10)), "the next request's first byte")
        XCTAssertEqual(t.bytesRead(), .none)
        XCTAssertEqual(t.timerRanOut(), .close)
        XCTAssertEqual(t.timerRanOut(), .none)
        XCTAssertEqual(t.headReceived(), .none)
        XCTAssertEqual(t.requestAnswered(), .none)
    }

    func makeChannel(_ budget: ConnectionBudget) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(
            handler: ConnectionGuardHandler(budget: budget, limits: limits, logger: Logger(label: "test"))
        )
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    func testAConnectionOverTheBoundIsClosedAtOnceAndItsSlotIsNotCounted() throws {
        let budget = ConnectionBudget(limit: 2)
        let a = try makeChannel(budget)
        let b = try makeChannel(budget)
        XCTAssertEqual(budget.inUse, 2)
        let c = try makeChannel(budget)
        XCTAssertFalse(c.isActive, "the third is closed as soon as it is accepted")
        XCTAssertTrue(a.isActive && b.isActive)
        XCTAssertEqual(budget.inUse, 2)
        _ = try a.finish()
        XCTAssertEqual(budget.inUse, 1, "a closed connection gives its slot back")
        let d = try makeChannel(budget)
        XCTAssertTrue(d.isActive)
        _ = try b.finish()
        _ = try d.finish()
        XCTAssertEqual(budget.inUse, 0)
    }

    func testASlowlorisIsCutAfterTheHeaderTimeoutHoweverOftenItSendsAByte() throws {
        let channel = try makeChannel(ConnectionBudget(limit: 10))
        for _ in 0..<9 {
            channel.embeddedEventLoop.advanceTime(by: .seconds(1))
            try channel.writeInbound(ByteBuffer(string: "G"))
        }
        XCTAssertTrue(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        XCTAssertFalse(channel.isActive, "10 s after it opened, with no head")
    }

    func testAnIdleKeepAliveConnectionIsClosedAfterTheIdleTimeoutAndARequestInFlightIsNot() throws {
        let channel = try makeChannel(ConnectionBudget(limit: 10))
        try channel.writeInbound(ByteBuffer(string: "POST /v1/envelopes"))
        channel.triggerUserOutboundEvent(ConnectionGuardHandler.RequestEvent.headReceived, promise: nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        XCTAssertTrue(channel.isActive, "a request in flight is not held to the header timeout")
        channel.triggerUserOutboundEvent(ConnectionGuardHandler.RequestEvent.answered, promise: nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(74))
        XCTAssertTrue(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        XCTAssertFalse(channel.isActive, "75 s idle")
    }

    func testABodyTrickledPastTheRequestTimeoutIsCut() throws {
        let channel = try makeChannel(ConnectionBudget(limit: 10))
        channel.triggerUserOutboundEvent(ConnectionGuardHandler.RequestEvent.headReceived, promise: nil)
        for _ in 0..<59 {
            channel.embeddedEventLoop.advanceTime(by: .seconds(1))
            try channel.writeInbound(ByteBuffer(string: "{"))
        }
        XCTAssertTrue(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        XCTAssertFalse(channel.isActive)
    }
}
