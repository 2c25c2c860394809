import GatewayCore
import XCTest

final class TextNoiseTests: XCTestCase {
    func noise(_ s: String) -> Bool { TextNoise.isNoise(Array(s.utf8)) }

    func testLabelsAreNotNoise() {
        XCTAssertFalse(noise("ACME-100234"))
        XCTAssertFalse(noise("https://id.gs1.org/01/09506000134352/10/ABC"))
        // GS1 element string with FNC1 as GS, the AIM prefix, and an ISO/IEC 15434 message.
        XCTAssertFalse(noise("]C10109506000134352\u{1D}10LOT7"))
        XCTAssertFalse(noise("[)>\u{1E}06\u{1D}1PABC\u{1D}S123\u{1E}\u{04}"))
        XCTAssertFalse(noise("a\tb\u{1C}c\u{1F}d"))
        XCTAssertFalse(noise("Müller — 東京 ✓"))
        XCTAssertFalse(TextNoise.isNoise([UInt8]()))
    }

    func testControlsAndBrokenUTF8AreNoise() {
        XCTAssertTrue(noise("ACME\u{0}1"))
        XCTAssertTrue(noise("\u{1B}[2J"))
        XCTAssertTrue(noise("ab\u{7F}"))
        XCTAssertTrue(noise("x\u{85}y"), "C1 NEL")
        XCTAssertTrue(noise("\u{9F}"))
        XCTAssertTrue(TextNoise.isNoise([0x41, 0xFF, 0x42]))
        XCTAssertTrue(TextNoise.isNoise([0xC3]), "truncated sequence")
        XCTAssertTrue(TextNoise.isNoise([0xC0, 0x80]), "overlong NUL")
        XCTAssertTrue(TextNoise.isNoise([0xED, 0xA0, 0x80]), "surrogate")
        // Latin-1 is not UTF-8: a scanner set to the wrong code page reads as noise.
        XCTAssertTrue(TextNoise.isNoise([0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72]))
    }

    /// Against the definition spelled out over Unicode scalars, on random bytes biased towards
    /// the interesting ranges.
    func testAgreesWithTheDefinitionOnRandomBytes() {
        func reference(_ b: [UInt8]) -> Bool {
            guard let s = String(validating: b, as: UTF8.self) else { return true }
            return s.unicodeScalars.contains { u in
                (u.value < 0x20 && !TextNoise.allowedControls.contains(UInt8(u.value)))
                    || (0x7F...0x9F).contains(u.value)
            }
        }
        let alphabet: [UInt8] = [
            0x00, 0x04, 0x09, 0x1B, 0x1D, 0x1F, 0x20, 0x41, 0x7E, 0x7F, 0x80, 0x85, 0x9F, 0xA0, 0xC2, 0xC3, 0xE2, 0xED,
            0xF0, 0xFF,
        ]
        var rng = SplitMix64(seed: 0xB0157)
        for _ in 0..<50_000 {
            let n = Int(rng.next() % 6)
            let b = (0..<n).map { _ in
                rng.next() % 3 == 0
                    ? UInt8(truncatingIfNeeded: rng.next()) : alphabet[Int(rng.next() % UInt64(alphabet.count))]
            }
            XCTAssertEqual(TextNoise.isNoise(b), reference(b), "\(b)")
        }
    }
}
