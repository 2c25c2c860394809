import GatewayCore
import XCTest

/// One tap, one event: presence decides, not time.
final class NFCPresenceTests: XCTestCase {
    let a = NFCTarget(uid: [1, 2, 3, 4], type: .mifareClassic1K)
    let b = NFCTarget(uid: [4, 5, 6, 7, 8, 9, 10], type: .type2)

    func testATagLeftOnTheReaderIsOneTapAndLiftedAndTappedAgainIsTwo() {
        var p = NFCPresence()
        XCTAssertEqual(p.observe([a]), [a])
        for _ in 0..<1000 { XCTAssertEqual(p.observe([a]), []) }
        XCTAssertEqual(p.observe([]), [])
        XCTAssertEqual(p.observe([a]), [a])
    }

    func testTwoTagsInTheFieldAreEachReportedOnce() {
        var p = NFCPresence()
        XCTAssertEqual(p.observe([a, b]), [a, b])
        XCTAssertEqual(p.observe([b, a]), [])
        XCTAssertEqual(p.observe([b]), [])
        XCTAssertEqual(p.observe([a, b]), [a], "a left and came back; b stayed")
        XCTAssertEqual(p.observe([a, a]), [], "a target listed twice is one tag")
    }

    func testAPollThatMissesATagOnceDoesNotMakeANewTap() {
        var p = NFCPresence(absencesToLeave: 2)
        XCTAssertEqual(p.observe([a]), [a])
        XCTAssertEqual(p.observe([]), [])
        XCTAssertEqual(p.observe([a]), [], "one missed poll is not a lift")
        XCTAssertEqual(p.observe([]), [])
        XCTAssertEqual(p.observe([]), [])
        XCTAssertEqual(p.observe([a]), [a], "two missed polls are")
    }

    /// Random sequences of observations: a tag is reported exactly as often as it enters the
    /// field, counted independently.
    func testArrivalsEqualEntriesOverRandomSequences() {
        var rng = SplitMix64(seed: 28)
        let tags = (0..<4).map { NFCTarget(uid: [UInt8($0), 9, 9, 9], type: .unknown) }
        for absences in 1...3 {
            var p = NFCPresence(absencesToLeave: absences)
            var missing = [Int](repeating: absences, count: tags.count)  // as good as gone
            var expected = 0
            var reported = 0
            for _ in 0..<2000 {
                let seen = tags.indices.filter { _ in rng.next() % 3 != 0 }
                for i in tags.indices {
                    if seen.contains(i) {
                        if missing[i] >= absences { expected += 1 }
                        missing[i] = 0
                    } else {
                        missing[i] += 1
                    }
                }
                reported += p.observe(seen.map { tags[$0] }).count
            }
            XCTAssertEqual(reported, expected)
        }
    }

    func testResetForgetsTheField() {
        var p = NFCPresence()
        _ = p.observe([a])
        p.reset()
        XCTAssertEqual(p.observe([a]), [a])
    }
}
