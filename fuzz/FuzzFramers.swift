// libFuzzer target: arbitrary serial bytes through the line framer and both binary framers,
// and arbitrary bytes as a HID report descriptor plus reports. Invariants: no crash, output
// bounded by the configured maxima.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFramers(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = bytes.first else { return 0 }
    let body = Array(bytes.dropFirst())
    switch selector % 4 {
    case 0:
        var f = LineFramer(maxLength: 32)
        for chunk in stride(from: 0, to: body.count, by: 7) {
            for o in f.feed(body[chunk..<min(chunk + 7, body.count)]) {
                if case .line(let l) = o, l.count > 32 { fatalError("line over max") }
            }
            if f.partialCount > 32 { fatalError("unbounded partial line") }
        }
    case 1:
        var f = BinaryFramer(format: .em4100)
        for o in f.feed(body) {
            if case .scan(let s) = o, s.count != 10 { fatalError("EM4100 scan is not 10 digits") }
        }
    case 2:
        var o = BinaryFramer.Options()
        o.lengthByte = (selector & 0x10) != 0
        o.checksum = BinaryFramer.Checksum.allCases[Int(selector >> 5) % 4]
        o.maxLength = 16
        var f = BinaryFramer(format: .stxEtx(o))
        for out in f.feed(body) {
            if case .scan(let s) = out, s.count > 16 { fatalError("frame over max") }
        }
    default:
        let split = body.isEmpty ? 0 : Int(body[0]) % (body.count + 1)
        let descriptor = Array(body.prefix(split))
        guard let d = try? HIDReportDescriptor(bytes: descriptor),
            var dec = try? HIDPOSDecoder(descriptor: d, maxLength: 64)
        else { return 0 }
        let reports = Array(body.dropFirst(split))
        for chunk in stride(from: 0, to: reports.count, by: 64) {
            for o in dec.feed(report: Array(reports[chunk..<min(chunk + 64, reports.count)])) {
                if case .scan(let s, _) = o, s.count > 64 { fatalError("HID POS scan over max") }
            }
        }
    }
    return 0
}
