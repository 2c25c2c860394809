import GatewayCore
import XCTest

final class BacklogWatchTests: XCTestCase {
    func testAnOutagesBacklogEndsOnceWhenTheSpoolIsEmptyAgain() {
        var watch = BacklogWatch(threshold: 5000)
        watch.observed(depth: 0)
        XCTAssertNil(watch.spoolFoundEmpty(), "started with an empty spool")
        // The server is down: attempts fail, the spool fills up to 100,000.
        for i in 1...40 {
            watch.answered(leaving: 0)
            watch.observed(depth: i * 2500)
        }
        // Then it drains, 500 at a time.
        for i in 1...200 {
            watch.answered(leaving: 500)
            watch.observed(depth: 100_000 - i * 500)
        }
        XCTAssertEqual(watch.spoolFoundEmpty(), 100_000)
        XCTAssertNil(watch.spoolFoundEmpty(), "the same backlog ends once")
        XCTAssertEqual(watch.deliveredSinceEmpty, 0)
        XCTAssertEqual(watch.deepestSinceEmpty, 0)
    }

    /// What CI saw: the server came up while the first batch's connection was being retried,
    /// so no delivery failed, and 5,744 waited behind that batch.
    func testABacklogWithoutAnyFailedDeliveryCounts() {
        var watch = BacklogWatch(threshold: 5000)
        watch.observed(depth: 0)
        watch.answered(leaving: 256)
        watch.observed(depth: 5744)
        for i in 1...12 {
            watch.answered(leaving: i == 12 ? 244 : 500)
            watch.observed(depth: max(0, 5744 - i * 500))
        }
        XCTAssertEqual(watch.spoolFoundEmpty(), 6000)
    }

    func testABacklogFoundAtStartCounts() {
        var watch = BacklogWatch(threshold: 5000)
        watch.observed(depth: 6000)
        for i in 1...12 {
            watch.answered(leaving: 500)
            watch.observed(depth: 6000 - i * 500)
        }
        XCTAssertEqual(watch.spoolFoundEmpty(), 6000)
    }

    func testSteadyTrafficIsNeverABacklog() {
        var watch = BacklogWatch(threshold: 5000)
        watch.observed(depth: 0)
        XCTAssertNil(watch.spoolFoundEmpty())
        // A slow link: scans arrive faster than a round trip, so the spool is not found empty
        // for a long while, and far more than the threshold goes through, a few waiting at a time.
        for i in 0..<100_000 {
            watch.answered(leaving: 5)
            watch.observed(depth: 3 + i % 20)
        }
        XCTAssertNil(watch.spoolFoundEmpty())
        // 100 scans/s for an hour, the spool empty between them.
        for i in 0..<360_000 {
            watch.observed(depth: 1 + i % 3)
            watch.answered(leaving: 1 + i % 3)
            watch.observed(depth: 0)
            XCTAssertNil(watch.spoolFoundEmpty())
        }
    }

    func testAShallowOutageIsNotABacklogAndTheThresholdIsInclusive() {
        var watch = BacklogWatch(threshold: 1000)
        XCTAssertNil(watch.spoolFoundEmpty())
        watch.answered(leaving: 0)
        watch.observed(depth: 999)
        watch.answered(leaving: 999)
        watch.observed(depth: 0)
        XCTAssertNil(watch.spoolFoundEmpty(), "999 waiting is under the threshold")
        // The deepest point counts, not the last one seen before the spool emptied.
        watch.observed(depth: 1000)
        watch.answered(leaving: 400)
        watch.observed(depth: 600)
        watch.answered(leaving: 600)
        watch.observed(depth: 0)
        XCTAssertEqual(watch.spoolFoundEmpty(), 1000)
        // The count started again: an earlier deep spool is not carried over.
        watch.answered(leaving: 10)
        watch.observed(depth: 5)
        XCTAssertNil(watch.spoolFoundEmpty())
    }
}
