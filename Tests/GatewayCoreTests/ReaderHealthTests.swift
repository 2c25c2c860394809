import GatewayCore
import XCTest

final class ReaderHealthTests: XCTestCase {
    let now = RFC3339.parseUnixNanos("2026-01-02T04:00:00.000Z")!

    func testAHealthyReaderHasNoVerdict() {
        XCTAssertNil(ReaderHealth(reader: "r").verdict(nowWallNanos: now))
    }

    func testFloodingThenRecentlyFloodedThenOld() {
        var h = ReaderHealth(reader: "r")
        h.flooding = true
        h.floods = 1
        h.lastFlood = .init(
            startedAt: "2026-01-02T03:59:50.000Z",
            peakRate: 9000,
            lastRate: 8000,
            scans: 80000,
            noiseLines: 79000
        )
        h.noiseLines = 79000
        h.lastNoiseAt = "2026-01-02T03:59:59.000Z"
        let v = h.verdict(nowWallNanos: now)
        XCTAssertEqual(v?.warn, true)
        XCTAssertEqual(
            v?.words,
            "flooding: 8000 scans/s since 2026-01-02T03:59:50.000Z (peak 9000/s); noisy: 79000 noise lines, the last at 2026-01-02T03:59:59.000Z"
        )
        h.flooding = false
        h.lastFlood?.endedAt = "2026-01-02T04:00:00.000Z"
        XCTAssertEqual(h.verdict(nowWallNanos: now + 60_000_000_000)?.warn, true)
        XCTAssertTrue(
            h.verdict(nowWallNanos: now)!.words.hasPrefix(
                "flooded 2026-01-02T03:59:50.000Z to 2026-01-02T04:00:00.000Z"
            )
        )
        XCTAssertEqual(h.verdict(nowWallNanos: now)?.noisy, true)
        let old = h.verdict(nowWallNanos: now + ReaderHealth.recentNanos + 1_000_000_000)
        XCTAssertEqual(old?.warn, false, "an old flood is history, not a warning")
        XCTAssertEqual(old?.noisy, false)
        XCTAssertFalse(old!.words.contains("noisy"))
    }

    func testNoiseAloneIsNoisyWhileRecent() {
        var h = ReaderHealth(reader: "r")
        h.noiseLines = 3
        h.lastNoiseAt = "2026-01-02T03:55:00.000Z"
        XCTAssertEqual(
            h.verdict(nowWallNanos: now),
            .init(warn: true, noisy: true, words: "noisy: 3 noise lines, the last at 2026-01-02T03:55:00.000Z")
        )
        XCTAssertEqual(h.verdict(nowWallNanos: now + ReaderHealth.recentNanos)?.warn, false)
    }

    func testJSONUsesSnakeCase() throws {
        var h = ReaderHealth(reader: "r")
        h.lastFlood = .init(startedAt: "a", endedAt: "b", peakRate: 1, lastRate: 1, scans: 2, noiseLines: 0)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let text = String(decoding: try enc.encode(h), as: UTF8.self)
        XCTAssertEqual(
            text,
            #"{"flooding":false,"floods":0,"last_flood":{"ended_at":"b","last_rate":1,"noise_lines":0,"peak_rate":1,"scans":2,"started_at":"a"},"noise_lines":0,"reader":"r"}"#
        )
        XCTAssertEqual(try JSONDecoder().decode(ReaderHealth.self, from: Data(text.utf8)), h)
    }
}
