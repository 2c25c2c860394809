// libFuzzer target: arbitrary bytes as a stream of evdev records through the key decoder, on
// every layout and terminator. Invariants: no crash, every scan within maxLength, the decoder
// holds nothing once flushed past its deadline.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKeyDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = bytes.first else { return 0 }
    let layouts: [KeyboardLayout] = [.us, .uk, .de, .fr]
    var options = KeyDecoder.Options()
    options.terminator = KeyDecoder.Terminator.allCases[Int(selector >> 4) % 3]
    options.maxLength = 64
    var d = KeyDecoder(layout: layouts[Int(selector & 3)], options: options)
    var i = 1
    var t: UInt64 = 0
    while i + 4 <= bytes.count {
        // Compact records: code (1 byte + high bit of the next), value, time step.
        let code = UInt16(bytes[i]) | (UInt16(bytes[i + 1] & 0x01) << 8)
        let value = Int32(bytes[i + 2] % 3)
        t += UInt64(bytes[i + 3]) * 1000
        for o in d.feed(InputEvent(timeMicros: t, type: (bytes[i + 1] & 0x80) != 0 ? 0 : 1, code: code, value: value)) {
            if case .scan(let s) = o, s.count > options.maxLength { fatalError("scan longer than maxLength") }
        }
        i += 4
    }
    _ = d.flush(now: t + 100_000_000)
    if d.isMidScan { fatalError("decoder holds a scan past its deadline") }
    return 0
}
