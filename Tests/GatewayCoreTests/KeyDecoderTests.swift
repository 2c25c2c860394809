import Foundation
import GatewayCore
import XCTest

/// The key decoder against recorded evdev streams (tests/fixtures/evdev, made by
/// make_streams.py from its own key tables) and against hand-built edge cases.
final class KeyDecoderTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("tests/fixtures/evdev")

    func decode(
        _ events: [InputEvent],
        layout: KeyboardLayout = .us,
        options: KeyDecoder.Options = .init()
    ) -> [KeyDecoder.Output] {
        var d = KeyDecoder(layout: layout, options: options)
        var out = events.flatMap { d.feed($0) }
        out += d.flush(now: UInt64.max / 2)
        return out
    }

    func testRecordedStreamsDecodeToTheExpectedText() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path).filter {
            $0.hasSuffix(".bin")
        }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 9)
        for name in names {
            let base = Self.fixtures.appendingPathComponent(String(name.dropLast(4)))
            let bytes = [UInt8](try Data(contentsOf: base.appendingPathExtension("bin")))
            var layout = ""
            var terminator = ""
            var expected: [[UInt8]] = []
            for line in try String(contentsOf: base.appendingPathExtension("expect"), encoding: .utf8).split(
                separator: "\n"
            ) {
                let kv = line.split(separator: "=", maxSplits: 1).map(String.init)
                switch kv[0] {
                case "layout": layout = kv[1]
                case "terminator": terminator = kv[1]
                case "scan": expected.append(hex(kv[1]))
                default: XCTFail("bad expect line \(line)")
                }
            }
            var options = KeyDecoder.Options()
            options.terminator = KeyDecoder.Terminator(rawValue: terminator)!
            var events: [InputEvent] = []
            var i = 0
            while i + InputEvent.wireSize <= bytes.count {
                events.append(InputEvent.parse(bytes[i..<i + InputEvent.wireSize])!)
                i += InputEvent.wireSize
            }
            XCTAssertEqual(i, bytes.count, "\(name): whole records")
            let out = decode(events, layout: KeyboardLayout.named(layout)!, options: options)
            XCTAssertEqual(out, expected.map { .scan($0) }, "\(name)")
        }
    }

    func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = s.makeIterator()
        while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
        return out
    }

    // Hand-built streams ---------------------------------------------------------------

    func taps(_ codes: [UInt16], start: UInt64 = 1_000_000, gap: UInt64 = 1000) -> [InputEvent] {
        var t = start
        var out: [InputEvent] = []
        for c in codes {
            t += gap
            out.append(InputEvent(timeMicros: t, type: 1, code: c, value: 1))
            t += gap
            out.append(InputEvent(timeMicros: t, type: 1, code: c, value: 0))
        }
        return out
    }

    func testScanLongerThanTheMaximumIsReportedNotTruncated() {
        var o = KeyDecoder.Options()
        o.maxLength = 3
        XCTAssertEqual(
            decode(taps([2, 3, 4, 5, 6, 28, 2, 28]), options: o),
            [.overlong(length: 5), .scan(Array("1".utf8))]
        )
    }

    func testMissingTerminatorIsDroppedAfterTheStallTimeAndReported() {
        var d = KeyDecoder(layout: .us)
        for e in taps([2, 3]) { XCTAssertEqual(d.feed(e), []) }
        XCTAssertNotNil(d.deadlineMicros)
        XCTAssertEqual(d.flush(now: d.deadlineMicros! - 1), [])
        XCTAssertEqual(d.flush(now: d.deadlineMicros!), [.incomplete(length: 2)])
        XCTAssertEqual(d.counters.incomplete, 1)
        XCTAssertFalse(d.isMidScan)
        // The next scan is whole.
        XCTAssertEqual(taps([4, 28], start: 9_000_000).flatMap { d.feed($0) }, [.scan(Array("3".utf8))])
    }

    func testUnknownKeysAndAutorepeatAreCountedAndIgnored() {
        var d = KeyDecoder(layout: .us)
        var out: [KeyDecoder.Output] = []
        out += d.feed(InputEvent(timeMicros: 1, type: 1, code: 30, value: 1))
        // A stuck key.
        for i in 0..<500 { out += d.feed(InputEvent(timeMicros: 2 + UInt64(i), type: 1, code: 30, value: 2)) }
        out += d.feed(InputEvent(timeMicros: 600, type: 1, code: 30, value: 0))
        out += d.feed(InputEvent(timeMicros: 601, type: 1, code: 0x2FF, value: 1))  // no such key
        out += d.feed(InputEvent(timeMicros: 602, type: 1, code: 28, value: 1))
        XCTAssertEqual(out, [.scan(Array("a".utf8))])
        XCTAssertEqual(d.counters.repeats, 500)
        XCTAssertEqual(d.counters.unknownKeys, 1)
    }

    func testPrefixAndSuffixAreStripped() {
        var o = KeyDecoder.Options()
        o.prefix = "1"
        o.suffix = "9"
        XCTAssertEqual(decode(taps([2, 3, 4, 10, 28]), options: o), [.scan(Array("23".utf8))])
    }

    func testTwoDecodersDoNotInterleave() {
        // Two scanners typing at the same moment: each device has its own decoder.
        var a = KeyDecoder(layout: .us)
        var b = KeyDecoder(layout: .us)
        let ea = taps([2, 3, 4, 28])
        let eb = taps([30, 48, 46, 28])
        var outA: [KeyDecoder.Output] = []
        var outB: [KeyDecoder.Output] = []
        for (x, y) in zip(ea, eb) {
            outA += a.feed(x)
            outB += b.feed(y)
        }
        XCTAssertEqual(outA, [.scan(Array("123".utf8))])
        XCTAssertEqual(outB, [.scan(Array("abc".utf8))])
    }

    func testEventWireFormatRoundTrips() {
        let e = InputEvent(timeMicros: 1_700_000_123_456_789, type: 1, code: 28, value: 1)
        XCTAssertEqual(InputEvent.parse(e.wireBytes), e)
        XCTAssertNil(InputEvent.parse([UInt8](repeating: 0, count: 23)))
    }
}
