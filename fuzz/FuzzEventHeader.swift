import Foundation

// libFuzzer target: arbitrary bytes as an opened capture event. EventHeaderReader is a fast
// path for JSONDecoder; invariants: no crash, and whatever it reads, JSONDecoder decodes the
// same bytes to the same header (it may leave inputs to JSONDecoder, never disagree with it).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventHeader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let fast = EventHeaderReader.read(bytes) else { return 0 }
    guard let slow = try? JSONDecoder().decode(EventHeader.self, from: Data(bytes)) else {
        fatalError("EventHeaderReader read a header JSONDecoder refuses: \(fast)")
    }
    if fast != slow { fatalError("EventHeaderReader and JSONDecoder disagree: \(fast) vs \(slow)") }
    return 0
}
