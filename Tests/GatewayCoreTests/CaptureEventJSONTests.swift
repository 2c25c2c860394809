import Foundation
import XCTest

@testable import GatewayCore

/// `CaptureEvent.jsonBytes()` is written by hand (CaptureEventJSON.swift); what it writes must be
/// exactly what `JSONEncoder` with sorted keys makes of the same event — the server stores the
/// plaintext as received, and older gateways sealed JSONEncoder's bytes.
final class CaptureEventJSONTests: XCTestCase {
    func reference(_ e: CaptureEvent) throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try enc.encode(e), as: UTF8.self)
    }

    /// An event with every member set, everywhere, from `rng` (strings with quotes, controls and
    /// non-ASCII; doubles of every size).
    func full(_ rng: inout SplitMix64, fix: Location.Fix = .fix3D) -> CaptureEvent {
        func str() -> String {
            let parts = ["a", "Z", "0", "\"", "\\", "/", "\n", "\u{1}", "\u{7F}", "é", "张", "😀", " ", "{", "pn:"]
            return (0..<Int(rng.next() % 6)).map { _ in parts[Int(rng.next() % UInt64(parts.count))] }.joined()
        }
        func dbl() -> Double {
            switch rng.next() % 3 {
            case 0: return Double(Int64(bitPattern: rng.next()) % 36_000_000) / 100_000
            case 1: return Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF)
            default: return Double(Int64(bitPattern: rng.next()) % 1000)
            }
        }
        let scan = Scan(
            readerID: str(),
            bytes: Array(str().utf8),
            wallNanos: Int64(rng.next() % (1 << 62)),
            monotonicNanos: rng.next() >> 1,
            symbology: str()
        )
        var decoded = DecodedTag(format: .gs1, symbology: AIMSymbology("]C1"))
        decoded.symbologyName = str()
        decoded.gs1 = [
            GS1Element(ai: "01", title: str(), value: str(), decimal: str(), date: str()),
            GS1Element(ai: "7250", title: str(), value: str(), decimal: str(), date: str()),
        ]
        decoded.epc = EPCIdentity(
            scheme: str(),
            filter: Int(rng.next() % 8),
            pureIdentityURI: str(),
            tagURI: str(),
            elementString: str()
        )
        decoded.badge = BadgeID(format: str(), facility: UInt32(rng.next() % 65536), card: rng.next(), display: str())
        decoded.ndef = [
            NDEFRecord(
                tnf: 1,
                type: str(),
                uri: str(),
                text: str(),
                language: str(),
                payloadLength: Int(rng.next() % 9999)
            )
        ]
        var location = Location(lat: dbl(), lon: dbl(), alt: dbl(), accuracyM: dbl())
        location.fix = fix
        location.verticalAccuracyM = dbl()
        location.fixTime = str()
        location.satellites = Int(rng.next() % 20)
        location.ageMs = Int(rng.next() % 100_000)
        location.reason = str()
        var e = CaptureEvent(
            id: str(),
            device: str(),
            seq: rng.next(),
            scan: scan,
            tag: TagClassification(kind: TagClass.allCases[Int(rng.next() % 4)], schema: str(), subject: str()),
            decoded: decoded,
            misread: Misread(format: str(), reason: str()),
            location: location,
            operatorID: str()
        )
        e.operatorUnidentified = rng.next() % 2 == 0
        e.clock = ClockQuality(
            reference: str(),
            skewMs: Int(Int64(bitPattern: rng.next()) % 100_000),
            trusted: rng.next() % 2 == 0
        )
        e.locationAnomalies = [str(), str()]
        e.redactions = [str()]
        e.kind = str()
        e.heartbeat = Heartbeat(
            spoolDepth: Int(rng.next() % 1000),
            oldestAgeS: Int(rng.next() % 1000),
            deadLetters: 3,
            readers: [str()],
            fix: str(),
            version: str(),
            uptimeS: 9,
            intervalS: 60
        )
        e.nfc = NFCTap(
            uid: str(),
            type: NFCTagType.allCases[Int(rng.next() % UInt64(NFCTagType.allCases.count))],
            atqa: str(),
            sak: str()
        )
        e.reply = CaseReply(message: str(), ref: str())
        e.text = str()
        return e
    }

    /// Every optional member, at any depth, holds a value: then a member the hand-written JSON
    /// forgot would show as a difference below.
    func testTheFullEventLeavesNoMemberUnset() {
        var rng = SplitMix64(seed: 1)
        var unset: [String] = []
        func walk(_ v: Any, _ path: String) {
            let m = Mirror(reflecting: v)
            if m.displayStyle == .optional {
                guard let inner = m.children.first else {
                    unset.append(path)
                    return
                }
                return walk(inner.value, path)
            }
            for c in m.children { walk(c.value, path + "." + (c.label ?? "[]")) }
        }
        walk(full(&rng), "event")
        XCTAssertEqual(unset, [])
    }

    func testHandWrittenJSONIsJSONEncodersSortedOutput() throws {
        var rng = SplitMix64(seed: 0x150)
        for i in 0..<3000 {
            var e = full(&rng, fix: i % 5 == 0 ? .none : (i % 2 == 0 ? .fix3D : .fix2D))
            // Leave members out at random, as real events do.
            let drop = rng.next()
            if drop & 1 != 0 { e.decoded = nil }
            if drop & 2 != 0 { e.location = nil }
            if drop & 4 != 0 {
                e.heartbeat = nil
                e.kind = nil
                e.reply = nil
            }
            if drop & 8 != 0 {
                e.clock = nil
                e.operatorID = nil
                e.operatorUnidentified = nil
            }
            if drop & 32 != 0 { e.nfc?.atqa = nil }
            if drop & 64 != 0 { e.nfc = nil }
            if drop & 16 != 0 {
                e.misread = nil
                e.redactions = nil
                e.locationAnomalies = nil
                e.raw = nil
                e.text = nil
            }
            if drop & 32 != 0 {
                e.decoded?.gs1 = nil
                e.decoded?.epc = nil
                e.location?.alt = nil
                e.tag.schema = nil
            }
            if drop & 64 != 0 {
                e.decoded?.ndef = []
                e.decoded?.badge?.facility = nil
                e.location?.reason = nil
                e.symbology = nil
            }
            XCTAssertEqual(String(decoding: try e.jsonBytes(), as: UTF8.self), try reference(e), "event \(i)")
        }
    }

    func testNonFiniteNumbersAreRefusedLikeJSONEncoder() {
        var e = CaptureEvent(
            id: "i",
            device: "d",
            seq: 1,
            scan: Scan(readerID: "r", bytes: [], wallNanos: 0, monotonicNanos: 0),
            tag: .unknown
        )
        e.location = Location(lat: .nan, lon: 1)
        XCTAssertThrowsError(try e.jsonBytes())
        XCTAssertThrowsError(try reference(e))
    }
}
