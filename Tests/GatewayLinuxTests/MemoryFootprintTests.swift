import Foundation
@testable import GatewayLinux
import Logging
import XCTest

final class MemoryFootprintTests: XCTestCase {
    func rssFileKiB() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("RssFile:") })
        return try XCTUnwrap(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
    }

    /// The program's read-only segments are released (file-backed RSS drops) and the code is
    /// mapped back as it runs: the process goes on working, here and in every test after it.
    func testReleasingUnusedPagesDropsFileBackedRSSAndCodeStillRuns() throws {
        let before = try rssFileKiB()
        let advised = MemoryFootprint.releaseUnusedPages(logger: Logger(label: "test"))
        let after = try rssFileKiB()
        XCTAssertGreaterThan(advised, 1 << 20, "the test binary's code and read-only data")
        XCTAssertLessThan(after, before, "released pages no longer count (\(before) → \(after) KiB)")
        // Code that was released runs again (mapped back from the page cache).
        let json = try JSONEncoder().encode(["a": [1, 2, 3]])
        XCTAssertEqual(try JSONDecoder().decode([String: [Int]].self, from: json), ["a": [1, 2, 3]])
    }

    /// A release (after a drained backlog, say) ends the busy period: the footprint service does
    /// not release the same pages again once it turns quiet.
    func testAReleaseStartsTheActivityCountAgain() {
        let s: UInt64 = 1_000_000_000
        _ = MemoryFootprint.busyPeriodEnded(threshold: 0, quiet: .zero, nowNanos: .max)  // start from zero
        MemoryFootprint.noteActivity(5000, nowNanos: 100 * s)
        MemoryFootprint.releaseUnusedPages(logger: Logger(label: "test"))
        XCTAssertFalse(MemoryFootprint.busyPeriodEnded(threshold: 1000, quiet: .seconds(10), nowNanos: 200 * s))
        MemoryFootprint.noteActivity(1000, nowNanos: 300 * s)
        XCTAssertTrue(MemoryFootprint.busyPeriodEnded(threshold: 1000, quiet: .seconds(10), nowNanos: 400 * s))
    }

    func testABusyPeriodEndsAfterEnoughActivityAndThenQuiet() {
        let s: UInt64 = 1_000_000_000
        _ = MemoryFootprint.busyPeriodEnded(threshold: 0, quiet: .zero, nowNanos: .max)  // start from zero
        MemoryFootprint.noteActivity(999, nowNanos: 100 * s)
        XCTAssertFalse(MemoryFootprint.busyPeriodEnded(threshold: 1000, quiet: .seconds(10), nowNanos: 200 * s), "not enough")
        MemoryFootprint.noteActivity(1, nowNanos: 201 * s)
        XCTAssertFalse(MemoryFootprint.busyPeriodEnded(threshold: 1000, quiet: .seconds(10), nowNanos: 205 * s), "still busy 4 s ago")
        XCTAssertTrue(MemoryFootprint.busyPeriodEnded(threshold: 1000, quiet: .seconds(10), nowNanos: 211 * s))
        XCTAssertFalse(MemoryFootprint.busyPeriodEnded(threshold: 1000, quiet: .seconds(10), nowNanos: 300 * s), "the count starts again")
    }
}
