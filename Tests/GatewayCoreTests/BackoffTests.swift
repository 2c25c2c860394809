import GatewayCore
import XCTest

final class BackoffTests: XCTestCase {
    func testCeilingScheduleDoublesToTheCap() {
        let b = Backoff(base: .milliseconds(500), cap: .seconds(60))
        let ceilings = (0..<10).map { b.ceiling(attempt: $0) }
        XCTAssertEqual(
            ceilings,
            [
                .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8),
                .seconds(16), .seconds(32), .seconds(60), .seconds(60), .seconds(60),
            ]
        )
        XCTAssertEqual(b.ceiling(attempt: 10_000), .seconds(60))
    }

    func testFullJitterSpansZeroToTheCeiling() {
        let b = Backoff(base: .seconds(1), cap: .seconds(8))
        XCTAssertEqual(b.delay(attempt: 3, unit: 0), .zero)
        XCTAssertEqual(b.delay(attempt: 3, unit: 0.5), .seconds(4))
        XCTAssertLessThan(b.delay(attempt: 3, unit: 0.999_999), .seconds(8))
    }

    func testRetryAfterIsAFloorWithJitterOnTop() {
        let b = Backoff(base: .seconds(1), cap: .seconds(8))
        XCTAssertEqual(b.delay(attempt: 0, retryAfter: .seconds(120), unit: 0), .seconds(120))
        XCTAssertEqual(b.delay(attempt: 0, retryAfter: .seconds(120), unit: 0.5), .milliseconds(120_500))
    }
}
