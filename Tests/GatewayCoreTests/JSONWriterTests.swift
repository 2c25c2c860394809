import Foundation
import GatewayCore
import XCTest

/// `Envelope.jsonBytes()` is what the spool stores and the server receives: it must be the very
/// bytes `JSONEncoder` (sorted keys, unescaped slashes) makes, for any string content.
final class JSONWriterTests: XCTestCase {
    func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    func testEnvelopeJSONIsJSONEncodersSortedOutput() throws {
        let every = String((0..<0x80).map { Character(Unicode.Scalar(UInt8($0))) }) + "é张\u{2028}\u{FEFF}😀"
        let envelopes = [
            Envelope(id: "0190f3a2-7c4e-7d51-9a3b-2f1e0c9d8b7a", device: "term-1", seq: 1, sealedAt: "2026-12-01T10:00:00.000Z",
                     suite: SealSuite.name, keyID: "e5269bb24a61f8bb", enc: "ab/+c==", ct: "x/y+z0=="),
            Envelope(id: every, device: "d\"\\", seq: UInt64.max, sealedAt: "", suite: "", keyID: "k2026/\u{1F}", enc: "", ct: every),
        ]
        for e in envelopes {
            XCTAssertEqual(String(decoding: e.jsonBytes(), as: UTF8.self), String(decoding: try encoder().encode(e), as: UTF8.self))
            XCTAssertEqual(try JSONDecoder().decode(Envelope.self, from: Data(e.jsonBytes())), e)
        }
    }
}
