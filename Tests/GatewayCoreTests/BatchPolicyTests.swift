import GatewayCore
import XCTest

final class BatchPolicyTests: XCTestCase {
    func testCountBytesAndTheOversizedEnvelope() {
        XCTAssertEqual(BatchPolicy.take(sizes: [10, 10, 10], maxCount: 2, maxBytes: 100), 2)
        XCTAssertEqual(BatchPolicy.take(sizes: [40, 40, 40], maxCount: 10, maxBytes: 100), 2)
        XCTAssertEqual(BatchPolicy.take(sizes: [500, 10], maxCount: 10, maxBytes: 100), 1, "a big one goes alone")
        XCTAssertEqual(BatchPolicy.take(sizes: [10, 500], maxCount: 10, maxBytes: 100), 1, "and not with others")
        XCTAssertEqual(BatchPolicy.take(sizes: [], maxCount: 10, maxBytes: 100), 0)
    }
}

extension BatchPolicyTests {
    func testLingerOnlyForABurstAndOnlyOnce() {
        XCTAssertFalse(
            BatchPolicy.shouldLinger(
                waiting: 1,
                limit: 100,
                lingerEnabled: true,
                alreadyLingered: false,
                circuitClosed: true
            ),
            "a lone scan goes at once"
        )
        XCTAssertTrue(
            BatchPolicy.shouldLinger(
                waiting: 2,
                limit: 100,
                lingerEnabled: true,
                alreadyLingered: false,
                circuitClosed: true
            )
        )
        XCTAssertFalse(
            BatchPolicy.shouldLinger(
                waiting: 2,
                limit: 100,
                lingerEnabled: true,
                alreadyLingered: true,
                circuitClosed: true
            )
        )
        XCTAssertFalse(
            BatchPolicy.shouldLinger(
                waiting: 100,
                limit: 100,
                lingerEnabled: true,
                alreadyLingered: false,
                circuitClosed: true
            ),
            "a full batch goes"
        )
        XCTAssertFalse(
            BatchPolicy.shouldLinger(
                waiting: 5,
                limit: 100,
                lingerEnabled: false,
                alreadyLingered: false,
                circuitClosed: true
            )
        )
        XCTAssertFalse(
            BatchPolicy.shouldLinger(
                waiting: 5,
                limit: 100,
                lingerEnabled: true,
                alreadyLingered: false,
                circuitClosed: false
            ),
            "no lingering while retrying"
        )
    }
}
