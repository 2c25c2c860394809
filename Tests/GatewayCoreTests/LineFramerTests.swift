import GatewayCore
import XCTest

final class LineFramerTests: XCTestCase {
    private func lines(_ outs: [LineFramer.Output]) -> [String] {
        outs.compactMap { if case .line(let b) = $0 { return String(decoding: b, as: UTF8.self) } else { return nil } }
    }

    func testAcceptsLFCRAndCRLF() {
        var f = LineFramer(maxLength: 64)
        XCTAssertEqual(lines(f.feed(Array("a\nb\rc\r\nd\n".utf8))), ["a", "b", "c", "d"])
    }

    func testCRLFSplitAcrossReadsIsOneTerminator() {
        var f = LineFramer(maxLength: 64)
        XCTAssertEqual(lines(f.feed(Array("abc\r".utf8))), ["abc"])
        XCTAssertEqual(f.feed(Array("\ndef\n".utf8)), [.line(Array("def".utf8))])
    }

    func testEmptyLinesCarryNoScan() {
        var f = LineFramer(maxLength: 64)
        XCTAssertEqual(lines(f.feed(Array("\n\n\r\nx\n\n".utf8))), ["x"])
    }

    func testPartialLineIsHeldUntilItsTerminator() {
        var f = LineFramer(maxLength: 64)
        XCTAssertEqual(f.feed(Array("12".utf8)), [])
        XCTAssertEqual(f.partialCount, 2)
        XCTAssertEqual(f.feed(Array("34\n".utf8)), [.line(Array("1234".utf8))])
        XCTAssertEqual(f.partialCount, 0)
    }

    func testLineAtMaximumPassesAndOneLongerIsDiscardedNotTruncated() {
        var f = LineFramer(maxLength: 4)
        XCTAssertEqual(f.feed(Array("abcd\n".utf8)), [.line(Array("abcd".utf8))])
        XCTAssertEqual(f.feed(Array("abcdefgh".utf8)), [])
        XCTAssertEqual(f.partialCount, 0, "an over-long line must not be buffered")
        XCTAssertEqual(f.feed(Array("ij\nok\n".utf8)), [.overlong(length: 10), .line(Array("ok".utf8))])
    }

    func testHugeInputStaysBounded() {
        var f = LineFramer(maxLength: 16)
        for _ in 0..<100 { _ = f.feed([UInt8](repeating: 0x41, count: 10_000)) }
        XCTAssertLessThanOrEqual(f.partialCount, 16)
        XCTAssertEqual(f.feed([0x0A]), [.overlong(length: 1_000_000)])
    }

    func testDiscardPartialForgetsTheTail() {
        var f = LineFramer(maxLength: 64)
        _ = f.feed(Array("a\nbc".utf8))
        f.discardPartial()
        XCTAssertEqual(lines(f.feed(Array("bcd\n".utf8))), ["bcd"])
    }
}
