/// Why a CCID reader's answer could not be used. A mute card or a sequence mismatch means the
/// exchange is lost: the driver reports a misread and resets the reader rather than guess.
public enum CCIDError: Error, Sendable, Hashable, CustomStringConvertible {
    case truncated(have: Int, need: Int)
    /// More bytes than the header's dwLength announces.
    case trailingBytes(Int)
    /// Not a `RDR_to_PC_DataBlock` (0x80), e.g. a slot status sent after an error.
    case unexpectedMessageType(UInt8)
    /// The answer is to another message than the one sent.
    case sequenceMismatch(UInt8, expected: UInt8)
    /// bStatus says the command failed; bError says why (CCID 1.1, Table 6.2-2).
    case commandFailed(error: UInt8, icc: CCIDMessage.ICCStatus)
    /// A chained (extended APDU) block, which the short-APDU readers gatewayd drives never send.
    case chainedBlock(UInt8)
    /// bStatus command status 3, which the standard reserves.
    case reservedStatus(UInt8)

    public var description: String {
        switch self {
        case .truncated(let have, let need):
            return "CCID message is truncated (\(have) of \(need) bytes): read the bulk IN pipe again"
        case .trailingBytes(let n):
            return "CCID message has \(n) byte(s) beyond its declared length"
        case .unexpectedMessageType(let t):
            return "CCID reader sent message type 0x\(String(t, radix: 16)) instead of a data block"
        case .sequenceMismatch(let got, let expected):
            return "CCID answer has sequence \(got), expected \(expected): reset the reader"
        case .commandFailed(let error, let icc):
            return "CCID command failed: \(Self.errorName(error)) (card \(icc)); reset the reader if it repeats"
        case .chainedBlock(let p):
            return "CCID chained block (parameter 0x\(String(p, radix: 16))) is not supported for short APDUs"
        case .reservedStatus(let s):
            return "CCID status byte 0x\(String(s, radix: 16)) uses a reserved command status"
        }
    }

    static func errorName(_ code: UInt8) -> String {
        switch code {
        case 0xFE: return "ICC_MUTE (no answer: the card left the field or the slot is off)"
        case 0xFD: return "XFR_PARITY_ERROR"
        case 0xFC: return "XFR_OVERRUN"
        case 0xFB: return "HW_ERROR"
        case 0xE0: return "CMD_SLOT_BUSY"
        case 0x00: return "command not supported"
        default: return "error 0x\(String(code, radix: 16))"
        }
    }
}
