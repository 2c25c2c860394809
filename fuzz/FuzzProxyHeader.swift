// libFuzzer target: arbitrary bytes as the start of a connection from a trusted load balancer
// (case-server's PROXY protocol header, v1 and v2). Invariants: no crash; a header's length is
// within the bytes given; a verdict on a prefix never contradicts the verdict on the whole
// (a prefix is `needMore` or the same verdict), so reading in pieces gives what reading at
// once gives.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProxyHeader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let whole = ProxyHeader.parse(bytes)
    if case .header(let length, _) = whole, length < 1 || length > bytes.count {
        fatalError("header length \(length) of \(bytes.count) bytes")
    }
    for cut in 0..<bytes.count {
        let part = ProxyHeader.parse(bytes.prefix(cut))
        switch (part, whole) {
        case (.needMore, _): continue
        case (.header(let a, let s), .header(let b, let t)) where a == b && s == t: continue
        case (.absent, .absent), (.malformed, .malformed): continue
        default: fatalError("the first \(cut) bytes read \(part), all \(bytes.count) read \(whole)")
        }
    }
    return 0
}
