/// Why bytes from a PN53x chip (or sent to one) are not a frame. Each case tells the driver what to
/// do: a checksum error is answered with a NACK so the chip sends the frame again; garbage is
/// dropped and the decoder has already resynchronised on the next preamble.
public enum PN53xFrameError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Bytes before the `00 00 FF` start of a frame; they were dropped.
    case garbageBeforePreamble(skipped: Int)
    /// LEN + LCS (or LENm + LENl + LCS) is not 0 modulo 256.
    case lengthChecksum
    /// TFI + data + DCS is not 0 modulo 256.
    case dataChecksum
    /// The byte after the checksum is not the `00` postamble.
    case badPostamble(UInt8)
    /// The TFI says the frame goes the other way (or is not a TFI at all).
    case wrongTFI(UInt8, expected: UInt8)
    /// A frame with no command byte.
    case emptyFrame
    /// The answer is to another command than the one sent.
    case unexpectedCommand(UInt8, expected: UInt8)
    /// The transfer ended inside a frame.
    case truncated(have: Int, need: Int)

    public var description: String {
        switch self {
        case .garbageBeforePreamble(let n):
            return "\(n) byte(s) before the PN53x frame preamble were dropped; check the reader's USB link"
        case .lengthChecksum:
            return "PN53x frame length checksum does not match: send a NACK to have the frame repeated"
        case .dataChecksum:
            return "PN53x frame data checksum does not match: send a NACK to have the frame repeated"
        case .badPostamble(let b):
            return "PN53x frame ends with 0x\(String(b, radix: 16)) instead of the 00 postamble"
        case .wrongTFI(let t, let e):
            return "PN53x frame identifier is 0x\(String(t, radix: 16)), expected 0x\(String(e, radix: 16))"
        case .emptyFrame:
            return "PN53x frame has no command byte"
        case .unexpectedCommand(let c, let e):
            return "PN53x answer is for command \(Hex.string([c])), expected \(Hex.string([e])): resync the reader"
        case .truncated(let have, let need):
            return "PN53x frame is truncated (\(have) of \(need) bytes): the transfer ended early"
        }
    }
}
