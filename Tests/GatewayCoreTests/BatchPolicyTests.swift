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
