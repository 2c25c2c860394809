// libFuzzer target: arbitrary bytes through every tag decoder — GS1 element strings (raw and
// bracketed), Digital Link URIs, EPC binary, EM4100/Wiegand, NDEF — with every hint. The only
// acceptable outcomes are a decoded model or a typed misread; and every GS1 element that
// decodes must satisfy its own rules (a valid check digit where the AI has one).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTagDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = bytes.first else { return 0 }
    let body = Array(bytes.dropFirst())
    let decoder = TagDecoder(referenceYear: 2026)
    let hint = TagDecoder.Hint.allCases[Int(selector) % TagDecoder.Hint.allCases.count]
    let symbology: String? = selector & 0x80 != 0 ? ["]C1", "]E0", "]Q3", "]d2", "]X0"][Int(selector >> 4) % 5] : nil
    if case .success(let d) = decoder.decode(body, symbology: symbology, hint: hint) {
        for e in d.gs1 ?? [] where ["00", "01", "02", "414", "8017"].contains(e.ai) && d.format != .epc {
            if !GS1ElementString.isValidKey(e.value) { fatalError("accepted a key with a bad check digit: (\(e.ai))") }
        }
    }
    if let s = String(validating: body, as: UTF8.self) {
        _ = try? GS1ElementString.parse(s, referenceYear: 2026)
        _ = try? GS1DigitalLink.parse("https://x.example/" + s, referenceYear: 2026)
        _ = try? BadgeIDs.wiegand(text: s)
    }
    _ = try? EPCDecoder.decode(bytes: body)
    _ = try? NDEFMessage.parse(body)
    return 0
}
