import Crypto
import Foundation
import GatewayCore
import GatewayLinux
import GatewaySystem

/// `gatewayd-bench`: the per-scan costs, one stage at a time, in a release build (`make bench`
/// runs it beside the end-to-end figures of bench/run.py). Each stage runs for at least
/// 0.3 s, five times; the median time per operation is printed (a table, then JSON on the
/// last line). Not a test: nothing here asserts a timing.
///
///     gatewayd-bench [--qr PATH.png] [--json]
///     gatewayd-bench storm-fixtures …   (StormFixtures: sealed backlogs for bench/storm.py)

struct Row: Codable {
    var stage: String
    var nsPerOp: Double
    var opsPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case stage
        case nsPerOp = "ns_per_op"
        case opsPerSecond = "ops_per_second"
    }
}

var rows: [Row] = []
var sink = 0

/// Median of five runs of `body` repeated until 0.3 s have passed.
@MainActor func measure(_ stage: String, _ body: () -> Int) {
    var samples: [Double] = []
    for _ in 0..<5 {
        var n = 0
        let start = Clocks.monotonicNanos()
        var elapsed: UInt64 = 0
        repeat {
            sink &+= body()
            n += 1
            elapsed = Clocks.monotonicNanos() - start
        } while elapsed < 300_000_000
        samples.append(Double(elapsed) / Double(n))
    }
    let median = samples.sorted()[2]
    rows.append(Row(stage: stage, nsPerOp: median, opsPerSecond: 1e9 / median))
}

let args = CommandLine.arguments
if args.count > 1 && args[1] == "storm-fixtures" {
    do {
        try StormFixtures.run(Array(args.dropFirst(2)))
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("gatewayd-bench: \(error)\n".utf8))
        exit(2)
    }
}
let qrPath = args.firstIndex(of: "--qr").map { args[$0 + 1] }

let decoder = TagDecoder(referenceYear: 2026)
let gs1 = Array("]C10109506000134352172012251".utf8) + Array("0ABC123\u{1D}21XYZ0001".utf8)
let digitalLink = Array("https://id.gs1.org/01/09506000134352/10/ABC123?17=201225".utf8)
let epc = Hex.bytes("3074257BF7194E4000001A85")!
let ndef = Hex.bytes("D1010F5504676174657761792E6578616D706C652F6F626A2F333030303031")!
let text = Array("OBJ-300001 owner 13812345678".utf8)

measure("decode gs1 element string") { (try? decoder.decode(gs1).get()) == nil ? 0 : 1 }
measure("decode gs1 digital link") { (try? decoder.decode(digitalLink).get()) == nil ? 0 : 1 }
measure("decode epc sgtin-96") { (try? decoder.decode(epc, hint: .epc).get()) == nil ? 0 : 1 }
measure("decode ndef uri record") { (try? decoder.decode(ndef, hint: .ndef).get()) == nil ? 0 : 1 }

let config = try GatewayConfig.parse(
    toml: """
        [device]
        id = "bench"
        [server]
        url = "https://127.0.0.1"
        [[schema]]
        name = "acme"
        pattern = 'ACME-(?<subject>[0-9]+)'
        [[schema]]
        name = "obj"
        pattern = 'OBJ-(?<subject>[0-9]{6})'
        """,
    directory: "/"
)
let classifier = try config.makeClassifier()
measure("classify (2 schemas)") { classifier.classify(text).subject == nil ? 0 : 1 }

let siteKey = (0..<32).map { UInt8($0) }
let redactor = Redactor(rules: RedactionRule.builtIn, pseudonymizer: Pseudonymizer(keyBytes: siteKey))
let deviceKey = Curve25519.KeyAgreement.PrivateKey()
let serverKey = Curve25519.KeyAgreement.PrivateKey()
let sealer = EnvelopeSealer(device: "bench", deviceKey: deviceKey, serverKey: serverKey.publicKey)
let capture = CaptureSealer(classifier: classifier, sealer: sealer, redactor: redactor)
let scan = Scan(readerID: "fifo0", bytes: text, wallNanos: 1_795_000_000_000_000_000, monotonicNanos: 1)
let event = capture.event(scan, id: "0190f3a2-7c4e-7d51-9a3b-2f1e0c9d8b7a", seq: 1)
let raw = CaptureEvent(id: event.id, device: "bench", seq: 1, scan: scan, tag: event.tag)
measure("redact (built-in rules, text with a phone)") { redactor.redact(raw).event.redactions?.count ?? 0 }
measure("event to JSON") { (try? event.jsonBytes())?.count ?? 0 }
measure("seal, one envelope in its own HPKE context") { (try? sealer.seal(event, sealedAtNanos: 1))?.ct.count ?? 0 }
// A reader's burst: one context for the group, an exported key per envelope.
let burst = (1...256).map { seq -> CaptureEvent in
    var e = event
    e.seq = UInt64(seq)
    return e
}
measure("seal, per envelope of a group of 256 (one context)") {
    guard let group = try? sealer.group(sealedAtNanos: 1) else { return 0 }
    return burst.reduce(0) { $0 + ((try? group.seal($1))?.ct.count ?? 0) } / 256
}
rows[rows.count - 1].nsPerOp /= 256
rows[rows.count - 1].opsPerSecond *= 256
measure("whole capture: decode+classify+redact+JSON+seal") {
    (try? capture.seal(scan, id: event.id, seq: 1, sealedAtNanos: 1))?.ct.count ?? 0
}
// The same with swift-crypto's HPKE API throughout (three scalar multiplications to seal, two
// to open), for comparison in the same run.
let eventBytes = try event.jsonBytes()
let aad = SealSuite.aad(id: event.id, device: "bench", seq: 1)
measure("seal with swift-crypto HPKE.Sender (reference)") {
    guard
        var s = try? HPKE.Sender(
            recipientKey: serverKey.publicKey,
            ciphersuite: SealSuite.ciphersuite,
            info: SealSuite.info,
            authenticatedBy: deviceKey
        ),
        let ct = try? s.seal(eventBytes, authenticating: aad)
    else { return 0 }
    return ct.count
}
var referenceSender = try HPKE.Sender(
    recipientKey: serverKey.publicKey,
    ciphersuite: SealSuite.ciphersuite,
    info: SealSuite.info,
    authenticatedBy: deviceKey
)
let referenceCT = try referenceSender.seal(eventBytes, authenticating: aad)
measure("open with swift-crypto HPKE.Recipient (reference)") {
    guard
        var r = try? HPKE.Recipient(
            privateKey: serverKey,
            ciphersuite: SealSuite.ciphersuite,
            info: SealSuite.info,
            encapsulatedKey: referenceSender.encapsulatedKey,
            authenticatedBy: deviceKey.publicKey
        ),
        let pt = try? r.open(referenceCT, authenticating: aad)
    else { return 0 }
    return pt.count
}
let ours = HPKEAuthRecipient(privateKey: serverKey)
let referenceEnc = Array(referenceSender.encapsulatedKey)
let referenceCTBytes = Array(referenceCT)
measure("open with HPKEAuthRecipient (static DH kept)") {
    ours.open(enc: referenceEnc, ct: referenceCTBytes, aad: aad, sender: deviceKey.publicKey, info: SealSuite.info)?
        .count ?? 0
}
let envelope = try sealer.seal(event, sealedAtNanos: 1)
measure("open an envelope at case-server, its context new (base64, HPKE, header JSON, checks)") {
    (try? EnvelopeOpener(serverKeys: [serverKey]).openHeader(envelope, deviceKeys: [deviceKey.publicKey]))?.header.seq
        == 1 ? 1 : 0
}
let opener = EnvelopeOpener(serverKeys: [serverKey])
measure("open an envelope at case-server, its group's context known") {
    (try? opener.openHeader(envelope, deviceKeys: [deviceKey.publicKey]))?.header.seq == 1 ? 1 : 0
}

if let qrPath {
    let qr = try GreyImage.load(path: qrPath)
    let scanner = try! BarcodeScanner()
    for (w, h) in [(640, 480), (1280, 720)] {
        // The code in the middle of a mid-grey frame, as a camera would see a label.
        var pixels = [UInt8](repeating: 200, count: w * h)
        let x0 = (w - qr.width) / 2
        let y0 = (h - qr.height) / 2
        for y in 0..<qr.height { for x in 0..<qr.width { pixels[(y0 + y) * w + x0 + x] = qr.pixels[y * qr.width + x] } }
        let frame = GreyImage(width: w, height: h, pixels: pixels)
        precondition(!scanner.scan(frame).isEmpty, "zbar found nothing in the \(w)x\(h) frame")
        measure("zbar frame \(w)x\(h) (one QR code)") { scanner.scan(frame).count }
    }
}

let width = rows.map(\.stage.count).max() ?? 10
for r in rows {
    let ns =
        r.nsPerOp >= 1e6
        ? String(format: "%10.2f ms", r.nsPerOp / 1e6)
        : r.nsPerOp >= 1e3 ? String(format: "%10.2f µs", r.nsPerOp / 1e3) : String(format: "%10.0f ns", r.nsPerOp)
    print(
        r.stage.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + ns
            + String(format: "  %12.0f /s", r.opsPerSecond)
    )
}
let enc = JSONEncoder()
enc.outputFormatting = [.sortedKeys]
print(String(decoding: try enc.encode(["stages": rows]), as: UTF8.self))
if sink == 42 { print("") }
