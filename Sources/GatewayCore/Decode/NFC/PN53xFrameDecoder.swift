/// Turns the bytes a PN53x chip sends (bulk IN transfers over USB, or a serial stream) into ACKs,
/// NACKs, error frames and information frames, checking both checksums, the postamble and the
/// direction byte.
///
/// It is fed bytes as they arrive and asked for the next complete item, so a frame split over two
/// transfers, or an ACK and the answer in one, come out the same. A malformed frame is reported
/// once as a typed error and skipped: the next call looks for the next `00 00 FF` preamble. A
/// driver that answers a checksum error with a NACK calls ``reset()`` first, as the chip then
/// sends the whole frame again.
public struct PN53xFrameDecoder: Sendable {
    public enum Output: Sendable, Hashable {
        case ack
        case nack
        /// The chip's syntax-error frame (`… 01 FF 7F 81 00`): it did not understand the last frame.
        case applicationError
        case frame(PN53xFrame)
    }

    /// The direction every information frame must have: the chip's (`D5`) for a host driver.
    public let expecting: PN53xFrame.Direction
    private var buffer: [UInt8] = []

    public init(expecting: PN53xFrame.Direction = .chipToHost) {
        self.expecting = expecting
    }

    /// Bytes received that are not yet a whole frame (or not yet looked at).
    public var bufferedCount: Int { buffer.count }

    public mutating func feed(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// Forgets buffered bytes, e.g. before sending a NACK or after the device was reopened.
    public mutating func reset() {
        buffer.removeAll()
    }

    /// The next complete item, nil when more bytes are needed. A thrown error has already been
    /// skipped over, so calling again goes on with the bytes after it.
    public mutating func next() throws(PN53xFrameError) -> Output? {
        guard let start = preambleIndex() else {
            // Keep a trailing `00` or `00 00`: it may be the start of the next preamble.
            var keep = 0
            while keep < min(2, buffer.count) && buffer[buffer.count - 1 - keep] == 0x00 { keep += 1 }
            let dropped = buffer.count - keep
            guard dropped > 0 else { return nil }
            buffer.removeFirst(dropped)
            throw .garbageBeforePreamble(skipped: dropped)
        }
        if start > 0 {
            buffer.removeFirst(start)
            throw .garbageBeforePreamble(skipped: start)
        }
        guard buffer.count >= 5 else { return nil }
        let (b3, b4) = (buffer[3], buffer[4])
        if (b3 == 0x00 && b4 == 0xFF) || (b3 == 0xFF && b4 == 0x00) {
            guard buffer.count >= 6 else { return nil }
            let post = buffer[5]
            buffer.removeFirst(6)
            guard post == 0x00 else { throw .badPostamble(post) }
            return b3 == 0x00 ? .ack : .nack
        }
        guard let frame = try frameHeader() else { return nil }
        let (header, length) = (frame.header, frame.length)
        let total = header + length + 2
        guard buffer.count >= total else { return nil }
        let data = buffer[header..<header + length]
        let dcs = buffer[header + length]
        let post = buffer[header + length + 1]
        defer { buffer.removeFirst(total) }
        guard PN53xFrame.sum(data) &+ dcs == 0 else { throw .dataChecksum }
        guard post == 0x00 else { throw .badPostamble(post) }
        if length == 1 && data.first == 0x7F { return .applicationError }
        return .frame(try PN53xFrame.parse(body: data, from: expecting))
    }

    /// Ends a transfer that should have held whole frames: any bytes left are a truncated frame.
    public mutating func finish() throws(PN53xFrameError) {
        guard !buffer.isEmpty else { return }
        let have = buffer.count
        var need = max(6, have + 1)
        if preambleIndex() == 0, let frame = try? frameHeader() {
            need = frame.header + frame.length + 2
        }
        buffer.removeAll()
        throw .truncated(have: have, need: need)
    }

    /// Everything in one transfer (or a whole captured stream), which must end on a frame boundary.
    public static func decode(
        _ bytes: some Sequence<UInt8>,
        expecting: PN53xFrame.Direction = .chipToHost
    ) throws(PN53xFrameError) -> [Output] {
        var decoder = PN53xFrameDecoder(expecting: expecting)
        decoder.feed(bytes)
        var out: [Output] = []
        while let item = try decoder.next() { out.append(item) }
        try decoder.finish()
        return out
    }

    private func preambleIndex() -> Int? {
        var i = 0
        while i + 2 < buffer.count {
            if buffer[i] == 0x00 && buffer[i + 1] == 0x00 && buffer[i + 2] == 0xFF { return i }
            i += 1
        }
        return nil
    }

    /// Header size and body length of the information frame at the start of the buffer, nil until
    /// the header is complete. A bad length checksum drops the preamble so the search goes on.
    private mutating func frameHeader() throws(PN53xFrameError) -> (header: Int, length: Int)? {
        guard buffer.count >= 5 else { return nil }
        if buffer[3] == 0xFF && buffer[4] == 0xFF {
            guard buffer.count >= 8 else { return nil }
            let (hi, lo, lcs) = (buffer[5], buffer[6], buffer[7])
            guard hi &+ lo &+ lcs == 0 else {
                buffer.removeFirst(3)
                throw .lengthChecksum
            }
            let length = Int(hi) << 8 | Int(lo)
            guard length > 0 else {
                buffer.removeFirst(8)
                throw .emptyFrame
            }
            return (8, length)
        }
        let (len, lcs) = (buffer[3], buffer[4])
        guard len &+ lcs == 0 else {
            buffer.removeFirst(3)
            throw .lengthChecksum
        }
        guard len > 0 else {
            buffer.removeFirst(5)
            throw .emptyFrame
        }
        return (5, Int(len))
    }
}
