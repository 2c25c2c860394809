import Foundation
import GatewayCore
import XCTest

@testable import GatewayLinux

final class ReaderHealthBoardTests: XCTestCase {
    func flood(ended: String? = nil) -> ReaderHealth.Flood {
        .init(
            startedAt: "2026-01-02T03:04:05.000Z",
            endedAt: ended,
            peakRate: 900,
            lastRate: 800,
            scans: 4000,
            noiseLines: 3000
        )
    }

    func testTheFileSaysWhatMemorySaysAndANewBoardClearsIt() throws {
        let dir = NSTemporaryDirectory() + "health-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let board = ReaderHealthBoard(directory: dir)
        XCTAssertEqual(ReaderHealthBoard.read(in: dir), [:])
        board.noise(reader: "fifo0", lines: 12, wallNanos: 1_000_000_000)
        board.floodStarted(reader: "fifo0", flood())
        let read = ReaderHealthBoard.read(in: dir)
        XCTAssertEqual(read["fifo0"], board.health("fifo0"))
        XCTAssertEqual(read["fifo0"]?.flooding, true)
        XCTAssertEqual(read["fifo0"]?.noiseLines, 12)
        XCTAssertEqual(read["fifo0"]?.lastNoiseAt, "1970-01-01T00:00:01.000Z")
        let text = String(
            decoding: try XCTUnwrap(FileManager.default.contents(atPath: dir + "/readers.json")),
            as: UTF8.self
        )
        XCTAssertTrue(text.contains("\"noise_lines\":12"), text)
        _ = ReaderHealthBoard(directory: dir)
        XCTAssertEqual(ReaderHealthBoard.read(in: dir), [:], "a restarted daemon's readers have not flooded yet")
    }

    func testAReaderFloodsWhileAnyOfItsSessionsDoes() {
        let board = ReaderHealthBoard()
        board.floodStarted(reader: "rfid", flood())
        board.floodStarted(reader: "rfid", flood())
        board.floodEnded(reader: "rfid", flood(ended: "2026-01-02T03:05:00.000Z"))
        XCTAssertEqual(board.health("rfid")?.flooding, true)
        XCTAssertEqual(board.health("rfid")?.floods, 2)
        board.floodEnded(reader: "rfid", flood(ended: "2026-01-02T03:06:00.000Z"))
        XCTAssertEqual(board.health("rfid")?.flooding, false)
        XCTAssertNil(board.health("other"))
    }

    func testReaderStatesDescribeANoisyReaderForTheKioskAndHeartbeats() throws {
        let states = ReaderStates()
        let now = try XCTUnwrap(RFC3339.parseUnixNanos("2026-01-02T03:10:00.000Z"))
        XCTAssertEqual(states.describe(["fifo0"], alwaysOpen: ["fifo0"], nowWallNanos: now), ["fifo0: open"])
        states.health.floodStarted(reader: "fifo0", flood())
        states.health.noise(reader: "fifo0", lines: 3000, wallNanos: now - 1_000_000_000)
        let flooding = states.describe(["fifo0", "wedge"], alwaysOpen: ["fifo0"], nowWallNanos: now)
        XCTAssertEqual(flooding[1], "wedge: waiting for its device")
        XCTAssertTrue(
            flooding[0].hasPrefix("fifo0: open — flooding: 800 scans/s since 2026-01-02T03:04:05.000Z"),
            flooding[0]
        )
        XCTAssertTrue(flooding[0].contains("noisy: 3000 noise lines"), flooding[0])
        states.health.floodEnded(reader: "fifo0", flood(ended: "2026-01-02T03:09:00.000Z"))
        // An hour on, a healthy reader again.
        XCTAssertEqual(
            states.describe(["fifo0"], alwaysOpen: ["fifo0"], nowWallNanos: now + 3_600_000_000_000),
            ["fifo0: open"]
        )
    }
}
