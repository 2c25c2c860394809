/// Frames binary records from serial RFID readers: the common EM4100 (125 kHz) module format,
/// and a configurable STX … ETX framer with optional length byte and checksum.
///
/// Bytes outside a frame are noise: counted, skipped, never a scan. A frame whose checksum
/// does not match is a misread: counted and reported, never forwarded.
public struct BinaryFramer: Sendable {
    public enum Checksum: String, Sendable, CaseIterable {
        case none
        /// XOR of the data bytes.
        case xor
        /// Sum of the data bytes modulo 256.
        case sum8
        /// Longitudinal redundancy check: two's complement of the 8-bit sum (sum + lrc ≡ 0).
        case lrc
    }

    public struct Options: Sendable, Equatable {
        public var stx: UInt8 = 0x02
        public var etx: UInt8 = 0x03
        /// A byte after STX giving the number of data bytes.
        public var lengthByte = false
        public var checksum: Checksum = .none
        public var maxLength = 256

        public init() {}
    }

    public enum Format: Sendable, Equatable {
        /// STX, 10 hex digits (version + 32-bit id), 2 hex digits XOR checksum, ETX
        /// (RDM6300 and most 125 kHz modules). The scan is the 10 hex digits.
        case em4100
        case stxEtx(Options)
    }

    public enum Output: Sendable, Equatable {
        case scan([UInt8])
        case badChecksum
        case overlong(length: Int)
        /// Bytes dropped because they were outside any frame (or a frame was malformed).
        case noise(bytes: Int)
    }

    public let format: Format
    private var inFrame = false
    private var body: [UInt8] = []
    private var noise = 0

    public init(format: Format) {
        self.format = format
    }

    private var stx: UInt8 {
        if case .stxEtx(let o) = format { return o.stx }
        return 0x02
    }
    private var etx: UInt8 {
        if case .stxEtx(let o) = format { return o.etx }
        return 0x03
    }
    private var maxBody: Int {
        switch format {
        case .em4100: return 12
        case .stxEtx(let o): return o.maxLength + (o.lengthByte ? 1 : 0) + (o.checksum == .none ? 0 : 1)
        }
    }

    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Output] {
        var out: [Output] = []
        for b in bytes {
            if !inFrame {
                if b == stx {
                    flushNoise(&out)
                    inFrame = true
                    body.removeAll(keepingCapacity: true)
                } else {
                    noise += 1
                }
                continue
            }
            if b == etx && lengthSatisfied {
                inFrame = false
                finish(into: &out)
                continue
            }
            if b == stx && !lengthPrefixed {
                // A new frame started before this one ended: the partial one was noise.
                noise += body.count + 1
                flushNoise(&out)
                body.removeAll(keepingCapacity: true)
                continue
            }
            body.append(b)
            if body.count > maxBody {
                inFrame = false
                out.append(.overlong(length: body.count))
                body.removeAll(keepingCapacity: true)
            }
        }
        flushNoise(&out)
        return out
    }

    private var lengthPrefixed: Bool {
        if case .stxEtx(let o) = format { return o.lengthByte }
        return false
    }

    /// With a length byte, an ETX value inside the data is data, not the end.
    private var lengthSatisfied: Bool {
        guard case .stxEtx(let o) = format, o.lengthByte else { return true }
        guard let n = body.first else { return false }
        return body.count >= 1 + Int(n) + (o.checksum == .none ? 0 : 1)
    }

    private mutating func flushNoise(_ out: inout [Output]) {
        if noise > 0 {
            out.append(.noise(bytes: noise))
            noise = 0
        }
    }

    private mutating func finish(into out: inout [Output]) {
        switch format {
        case .em4100:
            guard body.count == 12, let bytes = Hex.bytes(String(decoding: body, as: UTF8.self)), bytes.count == 6
            else {
                out.append(.noise(bytes: body.count + 2))
                return
            }
            let x = bytes[0..<5].reduce(0, ^)
            if x == bytes[5] {
                out.append(.scan(Array(body[0..<10])))
            } else {
                out.append(.badChecksum)
            }
        case .stxEtx(let o):
            var data = body[...]
            if o.lengthByte {
                guard let n = data.first, data.count == 1 + Int(n) + (o.checksum == .none ? 0 : 1) else {
                    out.append(.noise(bytes: body.count + 2))
                    return
                }
                data = data.dropFirst()
            }
            if o.checksum != .none {
                guard let sent = data.last else {
                    out.append(.noise(bytes: 2))
                    return
                }
                data = data.dropLast()
                if Self.checksum(o.checksum, data) != sent {
                    out.append(.badChecksum)
                    return
                }
            }
            if !data.isEmpty { out.append(.scan(Array(data))) }
        }
    }

    public static func checksum(_ kind: Checksum, _ data: some Sequence<UInt8>) -> UInt8 {
        switch kind {
        case .none: return 0
        case .xor: return data.reduce(0, ^)
        case .sum8: return data.reduce(0, &+)
        case .lrc: return 0 &- data.reduce(0, &+)
        }
    }
}
