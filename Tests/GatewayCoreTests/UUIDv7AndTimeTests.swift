import GatewayCore
import XCTest

struct CountingRNG: RandomNumberGenerator {
    var state: UInt64 = 0x1234_5678
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state
    }
}

final class UUIDv7AndTimeTests: XCTestCase {
    func testLayoutVersionAndVariant() {
        var g = UUIDv7Generator()
        var rng = CountingRNG()
        let id = g.next(unixMillis: 0x0189_ABCD_EF01, using: &rng)
        XCTAssertEqual(id.count, 36)
        XCTAssertTrue(id.hasPrefix("0189abcd-ef01-7"), id)
        let variant = id[id.index(id.startIndex, offsetBy: 19)]
        XCTAssertTrue("89ab".contains(variant), "RFC 9562 variant bits 10: got \(variant)")
        XCTAssertEqual(UUID(uuidString: id)?.uuidString.lowercased(), id)
        XCTAssertEqual(Array(id.utf8).filter { $0 == UInt8(ascii: "-") }.count, 4)
        XCTAssertEqual(
            [8, 13, 18, 23].map { id[id.index(id.startIndex, offsetBy: $0)] },
            ["-", "-", "-", "-"]
        )
    }

    func testStrictlyIncreasingWithinAMillisecondAndWhenTheClockStepsBack() {
        var g = UUIDv7Generator()
        var rng = CountingRNG()
        var last = ""
        for ms: UInt64 in [1000, 1000, 1000, 999, 500, 1000, 1001, 1001] {
            for _ in 0..<300 {
                let id = g.next(unixMillis: ms, using: &rng)
                XCTAssertGreaterThan(id, last)
                last = id
            }
        }
    }

    func testRFC3339() {
        XCTAssertEqual(RFC3339.format(unixNanos: 0), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(RFC3339.format(unixNanos: 1_709_164_800_999_999_999), "2024-02-29T00:00:00.999Z")
        XCTAssertEqual(RFC3339.format(unixNanos: -1_000_000), "1969-12-31T23:59:59.999Z")
        XCTAssertEqual(RFC3339.format(unixNanos: 951_782_400_000_000_000), "2000-02-29T00:00:00.000Z")
        XCTAssertEqual(RFC3339.format(unixNanos: .max), "2262-04-11T23:47:16.854Z")
        XCTAssertEqual(RFC3339.format(unixNanos: .min), "1677-09-21T00:12:43.145Z")
        XCTAssertEqual(RFC3339.year(unixNanos: 0), 1970)
        XCTAssertEqual(RFC3339.year(unixNanos: -1), 1969)
        XCTAssertEqual(RFC3339.year(unixNanos: 1_709_164_800_999_999_999), 2024)
        XCTAssertEqual(RFC3339.year(unixNanos: .max), 2262)
    }
}
