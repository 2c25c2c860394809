import GatewayCore
import XCTest

final class BacklogWatchTests: XCTestCase {
    func testABacklogEndsOnceWhenTheSpoolIsEmptyAgain() {
        var watch = BacklogWatch(threshold: 5000)
        for _ in 0..<200 { watch.delivered(500) }  // 100,000 envelopes after an outage
        XCTAssertEqual(watch.spoolEmpty(), 100_000)
        XCTAssertNil(watch.spoolEmpty(), "the same backlog ends once")
        XCTAssertEqual(watch.deliveredSinceEmpty, 0)
    }

    func testSteadyTrafficIsNeverABacklog() {
        var watch = BacklogWatch(threshold: 5000)
        // 100 scans/s for an hour, one or a few per batch, the spool empty in between.
        for i in 0..<360_000 {
            watch.delivered(1 + i % 3)
            XCTAssertNil(watch.spoolEmpty())
        }
        // A portal at a few thousand tags/s that the forwarder keeps up with: full batches,
        // but the spool empties every couple of them.
        for _ in 0..<10_000 {
            watch.delivered(500)
            watch.delivered(500)
            XCTAssertNil(watch.spoolEmpty())
        }
    }

    func testTheThresholdIsInclusiveAndCountsAcrossBatches() {
        var watch = BacklogWatch(threshold: 1000)
        watch.delivered(999)
        XCTAssertNil(watch.spoolEmpty())
        watch.delivered(400)
        watch.delivered(600)
        XCTAssertEqual(watch.spoolEmpty(), 1000)
    }
}
