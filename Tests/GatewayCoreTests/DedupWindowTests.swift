import GatewayCore
import XCTest

final class DedupWindowTests: XCTestCase {
    let ms: UInt64 = 1_000_000

    func testRepeatsInsideTheWindowAreOneScanAndTheWindowSlides() {
        var d = DedupWindow(windowMillis: 500)
        let tag = Array("E280116060000".utf8)
        XCTAssertTrue(d.admit(tag, now: 0))
        // A tag held in the field: read every 100 ms for 2 s is still one scan.
        for t in stride(from: 100, through: 2000, by: 100) { XCTAssertFalse(d.admit(tag, now: UInt64(t) * ms)) }
        XCTAssertEqual(d.suppressed, 20)
        // Taken away for longer than the window, then back: a new scan.
        XCTAssertTrue(d.admit(tag, now: 2600 * ms))
        XCTAssertTrue(d.admit(Array("other".utf8), now: 2601 * ms), "another tag is never a repeat")
    }

    func testZeroWindowAdmitsEverything() {
        var d = DedupWindow(windowMillis: 0)
        XCTAssertTrue(d.admit([1], now: 0))
        XCTAssertTrue(d.admit([1], now: 0))
    }

    func testMemoryIsBounded() {
        var d = DedupWindow(windowMillis: 10_000, capacity: 100)
        for i in 0..<10_000 { XCTAssertTrue(d.admit(Array("tag-\(i)".utf8), now: UInt64(i))) }
        // The most recent ones are still remembered.
        XCTAssertFalse(d.admit(Array("tag-9999".utf8), now: 10_001))
    }
}
