import GatewayCore
import XCTest

final class SpoolLimitsTests: XCTestCase {
    func testAdmission() {
        let block = SpoolLimits(maxEnvelopes: 10, maxBytes: 1000, overflow: .block)
        XCTAssertEqual(block.admit(depth: 9, bytes: 900, adding: 1, addingBytes: 100), .store)
        XCTAssertEqual(block.admit(depth: 10, bytes: 900, adding: 1, addingBytes: 10), .refuse)
        XCTAssertEqual(block.admit(depth: 1, bytes: 950, adding: 1, addingBytes: 51), .refuse, "bytes bound too")
        XCTAssertEqual(
            block.admit(depth: 0, bytes: 0, adding: 50, addingBytes: 5000),
            .store,
            "an empty spool takes any batch"
        )
        let drop = SpoolLimits(maxEnvelopes: 10, maxBytes: 1000, overflow: .dropOldest)
        XCTAssertEqual(
            drop.admit(depth: 10, bytes: 500, adding: 3, addingBytes: 30),
            .dropOldestUntil(maxEnvelopes: 7, maxBytes: 970)
        )
    }
}
