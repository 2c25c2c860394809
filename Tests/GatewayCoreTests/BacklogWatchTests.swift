import GatewayCore
import XCTest

final class BacklogWatchTests: XCTestCase {
    func testAnOutagesBacklogEndsOnceWhenTheSpoolIsEmptyAgain() {
        var watch = BacklogWatch(threshold: 5000)
        XCTAssertNil(watch.spoolFoundEmpty(), "started with an empty spool")
        for _ in 0..<40 { watch.answered(leaving: 0, failed: true) }  // the server is down
        for _ in 0..<200 { watch.answered(leaving: 500, failed: false) }  // then 100,000 drain
        XCTAssertEqual(watch.spoolFoundEmpty(), 100_000)
        XCTAssertNil(watch.spoolFoundEmpty(), "the same backlog ends once")
        XCTAssertEqual(watch.deliveredSinceEmpty, 0)
        XCTAssertFalse(watch.failedSinceEmpty)
    }

    func testABacklogFoundAtStartCountsAsAnOutage() {
        var watch = BacklogWatch(threshold: 5000)
        for _ in 0..<12 { watch.answered(leaving: 500, failed: false) }
        XCTAssertEqual(watch.spoolFoundEmpty(), 6000)
    }

    func testSteadyTrafficIsNeverABacklog() {
        var watch = BacklogWatch(threshold: 5000)
        XCTAssertNil(watch.spoolFoundEmpty())
        // A slow link: scans arrive faster than a round trip, so the spool is not found empty
        // for a long while, and far more than the threshold goes through; every delivery works.
        for _ in 0..<100_000 { watch.answered(leaving: 5, failed: false) }
        XCTAssertNil(watch.spoolFoundEmpty())
        // 100 scans/s for an hour, the spool empty between them.
        for i in 0..<360_000 {
            watch.answered(leaving: 1 + i % 3, failed: false)
            XCTAssertNil(watch.spoolFoundEmpty())
        }
    }

    func testAShortOutageIsNotABacklogAndTheThresholdIsInclusive() {
        var watch = BacklogWatch(threshold: 1000)
        XCTAssertNil(watch.spoolFoundEmpty())
        watch.answered(leaving: 0, failed: true)
        watch.answered(leaving: 999, failed: false)
        XCTAssertNil(watch.spoolFoundEmpty(), "999 is under the threshold")
        watch.answered(leaving: 0, failed: true)
        watch.answered(leaving: 400, failed: false)
        watch.answered(leaving: 600, failed: false)
        XCTAssertEqual(watch.spoolFoundEmpty(), 1000)
    }
}
