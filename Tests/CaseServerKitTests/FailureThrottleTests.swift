import CaseServerKit
import Hummingbird
import NIOCore
import XCTest

/// The throttle's schedule over an injected clock, no I/O.
final class FailureThrottleTests: XCTestCase {
    static let second: Int64 = 1_000_000_000

    func testABurstIsForgivenThenEachFailureShutsTheKeyOutForAWhile() {
        var t = FailureThrottle(policy: .init(burst: 50, perSecond: 1, maxBlockSeconds: 60))
        XCTAssertFalse(t.recordFailures(50, for: "term-1", nowNanos: 0))
        XCTAssertNil(t.retryAfter("term-1", nowNanos: 0), "50 at once are forgiven")
        XCTAssertTrue(t.recordFailures(1, for: "term-1", nowNanos: 0), "the 51st shuts it out")
        XCTAssertEqual(t.retryAfter("term-1", nowNanos: 0), 1)
        XCTAssertNil(t.retryAfter("term-1", nowNanos: Self.second), "one leaked away a second later")
        XCTAssertNil(t.retryAfter("term-2", nowNanos: 0), "keys are apart")
    }

    func testOneJunkBatchShutsTheKeyOutForTheLongestBlockAndNoLonger() {
        var t = FailureThrottle(policy: .init(burst: 50, perSecond: 1, maxBlockSeconds: 60))
        t.recordFailures(500, for: "k", nowNanos: 0)
        XCTAssertEqual(t.retryAfter("k", nowNanos: 0), 60)
        XCTAssertEqual(t.retryAfter("k", nowNanos: 30 * Self.second), 30)
        XCTAssertFalse(t.recordFailures(1, for: "k", nowNanos: 30 * Self.second), "already shut out")
        XCTAssertEqual(t.retryAfter("k", nowNanos: 30 * Self.second), 31)
        XCTAssertNil(t.retryAfter("k", nowNanos: 61 * Self.second + 1))
        XCTAssertEqual(t.trackedKeys, 1, "its score has not leaked to zero yet")
        XCTAssertNil(t.retryAfter("k", nowNanos: 200 * Self.second))
        XCTAssertEqual(t.trackedKeys, 0, "forgotten once its score is gone")
    }

    func testAFailureEverySecondAtTheLeakRateIsNeverThrottled() {
        var t = FailureThrottle(policy: .init(burst: 5, perSecond: 1, maxBlockSeconds: 60))
        for s in 0..<1000 {
            t.recordFailures(1, for: "k", nowNanos: Int64(s) * Self.second)
            XCTAssertNil(t.retryAfter("k", nowNanos: Int64(s) * Self.second))
        }
    }

    func testNewKeysPastTheTableSizeForgetTheLeastFailingFirst() {
        var t = FailureThrottle(policy: .init(burst: 0, perSecond: 1, maxBlockSeconds: 60, maxKeys: 100))
        t.recordFailures(60, for: "attacker", nowNanos: 0)
        for i in 0..<1000 { t.recordFailures(1, for: "junk-\(i)", nowNanos: 0) }
        XCTAssertLessThanOrEqual(t.trackedKeys, 100)
        XCTAssertEqual(t.retryAfter("attacker", nowNanos: 0), 60, "the worst key is the last forgotten")
    }

    func testTheSharedThrottleCountsPerDeviceAndTheirSumPerAddress() {
        let policy = FailureThrottle.Policy(burst: 10, perSecond: 1, maxBlockSeconds: 60)
        let t = EnvelopeThrottle(devicePolicy: policy, addressPolicy: policy)
        let shut = t.record(address: "192.0.2.7", failures: ["a": 6, "b": 6], nowNanos: 0)
        XCTAssertEqual(shut.devices, [])
        XCTAssertTrue(shut.address, "12 failures from one address")
        XCTAssertEqual(t.retryAfter(address: "192.0.2.7", nowNanos: 0), 2)
        XCTAssertNil(t.retryAfter(address: "192.0.2.8", nowNanos: 0))
        XCTAssertNil(t.retryAfter(address: nil, nowNanos: 0))
        XCTAssertEqual(t.throttled(devices: ["a", "b"], nowNanos: 0), [:])
        XCTAssertEqual(t.record(address: nil, failures: ["a": 5], nowNanos: 0).devices, ["a"])
        XCTAssertEqual(t.throttled(devices: ["a", "b", "c"], nowNanos: 0), ["a": 1])
    }

    func testTheAddressIsThePeerUnlessThePeerIsATrustedProxy() throws {
        let peer = try SocketAddress(ipAddress: "10.0.0.5", port: 4711)
        var headers = HTTPFields()
        headers[.init("X-Forwarded-For")!] = "203.0.113.9, 198.51.100.4"
        XCTAssertEqual(ClientAddress.of(peer: peer, headers: headers, trustedProxies: []), "10.0.0.5")
        XCTAssertEqual(ClientAddress.of(peer: peer, headers: headers, trustedProxies: ["10.0.0.5"]), "198.51.100.4")
        XCTAssertEqual(ClientAddress.of(peer: peer, headers: HTTPFields(), trustedProxies: ["10.0.0.5"]), "10.0.0.5")
        XCTAssertNil(ClientAddress.of(peer: nil, headers: headers, trustedProxies: []))
    }
}
