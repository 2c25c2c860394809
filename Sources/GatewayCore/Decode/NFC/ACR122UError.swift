/// Why an exchange with an ACR122U failed. The driver turns any of these into a misread of the
/// tap in progress (red LED, two beeps) and, for CCID errors, a reset of the reader.
public enum ACR122UError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The CCID message around the answer was wrong.
    case ccid(CCIDError)
    /// The PN532 frame body inside the answer was wrong.
    case frame(PN53xFrameError)
    /// An answer shorter than the two status bytes.
    case noStatusWord(Int)
    /// A status word other than `90 00` or `61 xx`, e.g. `63 00` (the operation failed).
    case status(UInt8, UInt8)
    /// The PN532 command does not fit in one Direct Transmit.
    case commandTooLong(Int)
    /// The reader kept answering `61 xx`.
    case tooManyGetResponses
    /// The PN532 answered with its syntax-error frame.
    case chipSyntaxError
    /// An answer arrived after the exchange had ended.
    case exchangeFinished

    public var description: String {
        switch self {
        case .ccid(let e): return e.description
        case .frame(let e): return e.description
        case .noStatusWord(let n): return "ACR122U answer of \(n) byte(s) has no status word"
        case .status(0x63, 0x00): return "ACR122U reports the operation failed (63 00): is a tag still on the reader?"
        case .status(0x6A, 0x81): return "ACR122U does not support this function (6A 81): check the reader's firmware"
        case .status(let a, let b):
            return "ACR122U status \(Hex.string([a, b])): the command was refused"
        case .commandTooLong(let n): return "PN532 command of \(n) bytes does not fit in one ACR122U Direct Transmit"
        case .tooManyGetResponses: return "ACR122U kept announcing more data (61 xx): reset the reader"
        case .chipSyntaxError: return "the ACR122U's PN532 did not understand the command (syntax error frame)"
        case .exchangeFinished: return "ACR122U answer arrived after the exchange ended: reset the reader"
        }
    }
}
