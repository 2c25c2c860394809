import Foundation
import XCTest

@testable import GatewayCore

/// `EventHeaderReader` is case-server's fast path for `JSONDecoder().decode(EventHeader.self)`:
/// on every event gatewayd writes it must give JSONDecoder's header, and on anything else it
/// may decline (nil: JSONDecoder then decides) but never read something JSONDecoder reads
/// differently or refuses. (The fuzz target FuzzEventHeader checks the same on random bytes.)
extension CaptureEventJSONTests {
    func slow(_ b: [UInt8]) -> EventHeader? { try? JSONDecoder().decode(EventHeader.self, from: Data(b)) }

    func testEventHeaderReaderReadsEveryEventAsJSONDecoderDoes() throws {
        var rng = SplitMix64(seed: 0x4EAD)
        for i in 0..<2000 {
            var e = full(&rng, fix: i % 2 == 0 ? .fix3D : .none)
            if i % 3 == 0 { e.tag = .unknown }
            if i % 4 == 0 {
                e.operatorID = nil
                e.kind = nil
                e.heartbeat = nil
            }
            if i % 5 == 0 {
                e.tag.schema = nil
                e.tag.subject = nil
            }
            for bytes in [try e.jsonBytes(), Array(try JSONEncoder().encode(e))] {
                let fast = try XCTUnwrap(EventHeaderReader.read(bytes), "event \(i) left to JSONDecoder")
                XCTAssertEqual(fast, slow(bytes), "event \(i)")
            }
        }
    }

    func testEventHeaderReaderDeclinesWhatItCannotReadExactly() {
        let base = #""device":"d","id":"a","seq":1,"v":1"#
        let declined = [
            #"{"\u0069d":"b","# + base + "}",  // a key with an escape
            #"{"seq":2,"# + base + "}",  // a field twice
            #"{"device":"d","id":"a","seq":1,"v":1.0}"#,  // not a plain integer
            #"{"device":"d","id":"a","seq":1e0,"v":1}"#,
            #"{"device":"d","id":"\ud83d","seq":1,"v":1}"#,  // a lone surrogate
            "{" + base + ",\"x\":" + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "}",
        ]
        for d in declined { XCTAssertNil(EventHeaderReader.read(Array(d.utf8)), d) }
        let refused = [
            "", "{", "[]", "{" + base + "} x", "{" + base + ",}", "{" + base + ",\"x\":01}",
            "{" + base + ",\"x\":\"\u{1}\"}",
            "{" + base + ",\"x\":tru}", "{" + base + ",\"x\":-}", "{" + base + ",\"x\":1.}",
            "{" + base + ",\"x\":\"\\q\"}",
            #"{"device":"d","id":"a","seq":-1,"v":1}"#, #"{"device":"d","id":"a","v":1}"#,
            #"{"device":null,"id":"a","seq":1,"v":1}"#,
            "{" + base + ",\"tag\":{\"class\":\"nope\"}}", "{" + base + ",\"tag\":{\"schema\":\"s\"}}",
            "{" + base + ",\"kind\":3}",
        ]
        // Not JSON, or not a header: the reader refuses. (JSONDecoder, which then decides, is
        // more lenient about values it does not decode: it takes `,}`, `01` and `"\q"` there.)
        for r in refused { XCTAssertNil(EventHeaderReader.read(Array(r.utf8)), r) }
        XCTAssertNil(EventHeaderReader.read([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]), "not UTF-8")
        let escaped = Array(
            #" { "v" : 1 , "id" : "a\u00e9\ud83d\ude00\n\/\"" , "device":"d","seq":18446744073709551615,"tag":null,"x":[{},[],true,false,null,-0.5e+3]} "#
                .utf8
        )
        XCTAssertEqual(EventHeaderReader.read(escaped), slow(escaped))
        XCTAssertEqual(EventHeaderReader.read(escaped)?.id, "aé😀\n/\"")
    }

    /// Events cut and changed at random bytes: wherever the reader answers, JSONDecoder agrees.
    func testEventHeaderReaderNeverDisagreesWithJSONDecoderOnDamagedEvents() throws {
        var rng = SplitMix64(seed: 0xDA3A)
        let alphabet = Array(#"{}[]":,\ -+.eE0123456789aeflnrstu"#.utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xFF]
        var read = 0
        for i in 0..<20_000 {
            var e = full(&rng, fix: .fix3D)
            if i % 2 == 0 {
                e.heartbeat = nil
                e.decoded = nil
            }
            var b = try e.jsonBytes()
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let at = Int(rng.next() % UInt64(b.count))
                switch rng.next() % 3 {
                case 0: b[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 1: b.remove(at: at)
                default: b.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                }
            }
            guard let fast = EventHeaderReader.read(b) else { continue }
            read += 1
            XCTAssertEqual(fast, slow(b), String(decoding: b, as: UTF8.self))
        }
        XCTAssertGreaterThan(read, 1000, "most damage is outside the header's fields; those events must still be read")
    }
}
