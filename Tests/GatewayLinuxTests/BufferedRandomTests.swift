import XCTest

@testable import GatewayLinux

final class BufferedRandomTests: XCTestCase {
    /// Across several refills (64 words each) the words are the kernel's: no repeats, no zero
    /// run where a refill failed to write, and about half the bits set.
    func testWordsAcrossRefillsAreDistinctAndBalanced() {
        var rng = BufferedRandom()
        let words = (0..<1000).map { _ in rng.next() }
        XCTAssertEqual(Set(words).count, words.count)
        XCTAssertFalse(words.contains(0))
        let ones = words.reduce(0) { $0 + $1.nonzeroBitCount }
        XCTAssertEqual(Double(ones) / Double(64 * words.count), 0.5, accuracy: 0.02)
    }

    /// Two generators draw different streams (no fixed seed).
    func testTwoGeneratorsDiffer() {
        var a = BufferedRandom()
        var b = BufferedRandom()
        XCTAssertNotEqual((0..<8).map { _ in a.next() }, (0..<8).map { _ in b.next() })
    }
}
