import Foundation
import Logging
import XCTest

@testable import GatewayLinux

final class MemoryFootprintTests: XCTestCase {
    func rssFileKiB() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("RssFile:") })
        return try XCTUnwrap(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
    }

    /// Resident KiB of the mappings of files whose name contains `name` (from /proc/self/smaps).
    func residentKiB(ofFilesNamed name: String) throws -> Int {
        var total = 0
        var inside = false
        // Read to the end: /proc files report size 0, and a size-based read stops short.
        let handle = try XCTUnwrap(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        for line in smaps.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = f.first, first.contains("-"), !first.hasSuffix(":") {
                inside = f.count > 5 && f[5].hasPrefix("/") && f[5].contains(name)
            } else if inside, f.first == "Rss:", f.count > 1, let kib = Int(f[1]) {
                total += kib
            }
        }
        return total
    }

    /// The read-only segments of the program and its shared libraries are released (file-backed
    /// RSS drops, libc's with it) and the code is mapped back as it runs: the process goes on
    /// working, here and in every test after it.
    func testReleasingUnusedPagesDropsFileBackedRSSAndCodeStillRuns() throws {
        let before = try rssFileKiB()
        let libcBefore = try residentKiB(ofFilesNamed: "/libc.so")
        let advised = MemoryFootprint.releaseUnusedPages(logger: Logger(label: "test"))
        let after = try rssFileKiB()
        let libcAfter = try residentKiB(ofFilesNamed: "/libc.so")
        XCTAssertGreaterThan(advised, 1 << 20, "the test binary's code and read-only data")
        XCTAssertLessThan(after, before, "released pages no longer count (\(before) → \(after) KiB)")
        XCTAssertGreaterThan(libcBefore, 0, "libc is mapped from a file")
        XCTAssertLessThan(
            libcAfter,
            libcBefore,
            "a shared library's pages are released too (\(libcBefore) → \(libcAfter) KiB)"
        )
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
        XCTAssertFalse(
            MemoryFootprint.busyPeriodEnded(threshold: 1000, quiet: .seconds(10), nowNanos: 200 * s),
            "not enough"
        )
        MemoryFootprint.noteActivity(1, nowNanos: 201 * s)
        XCTAssertFalse(
            MemoryFootprint.busyPeriodEnded(threshold: 1000, quiet: .seconds(10), nowNanos: 205 * s),
            "still busy 4 s ago"
        )
        XCTAssertTrue(MemoryFootprint.busyPeriodEnded(threshold: 1000, quiet: .seconds(10), nowNanos: 211 * s))
        XCTAssertFalse(
            MemoryFootprint.busyPeriodEnded(threshold: 1000, quiet: .seconds(10), nowNanos: 300 * s),
            "the count starts again"
        )
    }
}
