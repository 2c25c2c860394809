// libFuzzer target: arbitrary scans through decode and the built-in redaction rules. Beyond not
// crashing, the privacy property: in what leaves (the redacted text, and raw where kept) the
// detectors find no personal data, except inside pseudonyms (whose hex digits can look like a
// number) — for scans whose text detectors search (text, misreads, JSON payloads).
// The same bytes also give a gpsd fix (a mode byte, then latitude and longitude as raw doubles:
// NaN, infinities and out-of-range values included) for the fix policy, which must never call
// 0,0 or an out-of-range position a fix. And the redacted event's hand-written JSON must be byte
// for byte what JSONEncoder (sorted keys) makes of it.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRedactor(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if bytes.count >= 17 {
        func double(at i: Int) -> Double {
            Double(bitPattern: bytes[i..<(i + 8)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        }
        let fix = GPSFix(mode: Int(bytes[0] % 5), lat: double(at: 1), lon: double(at: 9))
        let loc = FixPolicy(maxAgeSeconds: 10).location(
            last: .init(fix: fix, receivedMonotonicNanos: 0),
            captureMonotonicNanos: 1
        )
        if loc.fix != .none && ((loc.lat == 0 && loc.lon == 0) || abs(loc.lat) > 90 || abs(loc.lon) > 180) {
            fatalError("bad fix passed off")
        }
    }
    guard let selector = bytes.first else { return 0 }
    let body = Array(bytes.dropFirst())
    let hint = TagDecoder.Hint.allCases[Int(selector) % TagDecoder.Hint.allCases.count]
    let scan = Scan(readerID: "r", bytes: body, wallNanos: 1_700_000_000_000_000_000, monotonicNanos: 1)
    let event: CaptureEvent
    switch TagDecoder(referenceYear: 2026).decode(body, hint: hint) {
    case .success(let d): event = CaptureEvent(id: "i", device: "d", seq: 1, scan: scan, tag: .unknown, decoded: d)
    case .failure(let m): event = CaptureEvent(id: "i", device: "d", seq: 1, scan: scan, tag: .unknown, misread: m)
    }
    let redactor = Redactor(
        rules: RedactionRule.builtIn,
        pseudonymizer: Pseudonymizer(keyBytes: [UInt8](repeating: 1, count: 32))
    )
    let out = redactor.redact(event).event
    // The hand-written canonical JSON is JSONEncoder's, for whatever the decoders made of the bytes.
    let reference = JSONEncoder()
    reference.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    if (try? out.jsonBytes()) != (try? reference.encode(out)).map(Array.init) {
        fatalError("event JSON differs from JSONEncoder's")
    }
    let searched: Set<DecodedTag.Format?> = [nil, .text]
    guard searched.contains(out.decoded?.format), let text = out.text else { return 0 }
    let chars = Array(text)
    var pseudonyms: [Range<Int>] = []
    var i = 0
    while i + 35 <= chars.count {
        if chars[i] == "p", chars[i + 1] == "n", chars[i + 2] == ":", chars[(i + 3)..<(i + 35)].allSatisfy(\.isHexDigit)
        {
            pseudonyms.append(i..<(i + 35))
            i += 35
        } else {
            i += 1
        }
    }
    for d in PersonalDataDetectors.detect(text) where !pseudonyms.contains(where: { $0.overlaps(d.range) }) {
        fatalError("\(d.kind) left in redacted text")
    }
    if let raw = out.raw, Data(base64Encoded: raw) != Data(text.utf8) {
        fatalError("raw differs from the redacted text")
    }
    return 0
}
