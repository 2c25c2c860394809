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
            Envelope(
                id: "0190f3a2-7c4e-7d51-9a3b-2f1e0c9d8b7a",
                device: "term-1",
                seq: 1,
                sealedAt: "2026-12-01T10:00:00.000Z",
                suite: SealSuite.name,
                keyID: "e5269bb24a61f8bb",
                enc: "ab/+c==",
                ct: "x/y+z0=="
            ),
            Envelope(
                id: every,
                device: "d\"\\",
                seq: UInt64.max,
                sealedAt: "",
                suite: "",
                keyID: "k2026/\u{1F}",
                enc: "",
                ct: every
            ),
        ]
        for e in envelopes {
            XCTAssertEqual(
                String(decoding: e.jsonBytes(), as: UTF8.self),
                String(decoding: try encoder().encode(e), as: UTF8.self)
            )
            XCTAssertEqual(try JSONDecoder().decode(Envelope.self, from: Data(e.jsonBytes())), e)
        }
    }

    /// The server's answer, with guidance once per document: `jsonBytes()` is what JSONEncoder
    /// makes of it, it decodes back to the same results, and a result names its guidance by index.
    func results() -> EnvelopeResults {
        let g1 = Guidance(id: "g-1", title: "Report \"received\"", text: "Stop the water/power\n", steps: ["a", "b/c"])
        let g2 = Guidance(
            id: "g-1",
            title: "Report \"received\"",
            text: "Stop the water/power\n",
            steps: ["a", "b/c"],
            match: "similar",
            similarTo: "class=subject schema=acme scanner=operator"
        )
        let told = [
            InsurerStatus(
                id: "north",
                name: "Northern Mutual",
                state: "notified",
                updatedAt: "2026-12-01T10:00:00.000Z"
            ),
            InsurerStatus(
                id: "south",
                name: "Süd & Co",
                state: "declined",
                updatedAt: "2026-12-01T10:00:01.000Z",
                note: "not covered"
            ),
        ]
        return EnvelopeResults(
            results: [
                EnvelopeResult(
                    id: "e1",
                    status: .accepted,
                    case: CaseInfo(ref: "RC-1", state: "insurers_notified", opened: true, insurers: told),
                    guidance: g1
                ),
                EnvelopeResult(
                    id: "e2",
                    status: .duplicate,
                    case: CaseInfo(ref: "RC-1", state: "opened", opened: false),
                    guidance: g1
                ),
                EnvelopeResult(id: "e3", status: .rejected, reason: "authentication_failed"),
                EnvelopeResult(id: "e4", status: .accepted, guidance: g2),
                EnvelopeResult(id: "e5", status: .accepted, reason: "probe"),
            ],
            serverKeyIDs: ["e5269bb24a61f8bb"]
        )
    }

    func testEnvelopeResultsJSONIsJSONEncodersSortedOutputWithGuidanceOnce() throws {
        for r in [
            results(), EnvelopeResults(results: []),
            EnvelopeResults(results: [EnvelopeResult(id: "x", status: .accepted)]),
        ] {
            XCTAssertEqual(
                String(decoding: try r.jsonBytes(), as: UTF8.self),
                String(decoding: try encoder().encode(r), as: UTF8.self)
            )
            XCTAssertEqual(try JSONDecoder().decode(EnvelopeResults.self, from: Data(try r.jsonBytes())), r)
        }
        let doc = try JSONSerialization.jsonObject(with: Data(try results().jsonBytes())) as! [String: Any]
        let table = doc["guidance"] as! [[String: Any]]
        XCTAssertEqual(table.count, 2, "two distinct guidance entries (configured, similar), each written once")
        let rows = doc["results"] as! [[String: Any]]
        XCTAssertEqual(rows.map { $0["guidance_ref"] as? Int }, [0, 0, nil, 1, nil])
        XCTAssertTrue(rows.allSatisfy { $0["guidance"] == nil })
    }

    func testEnvelopeResultsReadGuidanceWrittenPerResultAndRefuseARefOutsideTheTable() throws {
        let old =
            #"{"results":[{"id":"e1","status":"accepted","guidance":{"id":"g","title":"t","text":"x","steps":[],"match":"configured"}}]}"#
        let r = try JSONDecoder().decode(EnvelopeResults.self, from: Data(old.utf8))
        XCTAssertEqual(r.results.first?.guidance?.id, "g")
        let bad =
            #"{"results":[{"id":"e1","status":"accepted","guidance_ref":1}],"guidance":[{"id":"g","title":"t","text":"x","steps":[],"match":"configured"}]}"#
        XCTAssertThrowsError(try JSONDecoder().decode(EnvelopeResults.self, from: Data(bad.utf8)))
    }
}
