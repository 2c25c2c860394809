/// Why the NDEF message of a Type 2 tag could not be read. Each one is a misread with its reason:
/// never is a part of a message passed on as if it were whole.
public enum Type2TagError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A READ answered with other than 16 bytes (a NAK, or the tag left mid-answer).
    case shortRead(Int)
    /// Page 3 does not start with the NDEF magic number E1: the tag is blank or holds no NDEF.
    case notNDEFFormatted(magic: UInt8)
    /// The CC's major version is not 1.
    case unsupportedVersion(UInt8)
    /// The CC declares a data area of zero bytes.
    case emptyDataArea
    /// A TLV (type `tlv`) ends at byte `end` of the data area, beyond the `size` the CC declares.
    case tlvBeyondDataArea(tlv: UInt8, end: Int, size: Int)
    /// The TLVs end (terminator or end of the data area) without an NDEF message TLV.
    case noNDEFMessage
    /// The data area goes on past page 255, which needs SECTOR_SELECT (no NTAG21x or Ultralight).
    case pageOutOfRange(Int)
    /// The card went away before the read was done (the reader above says so).
    case tornRead(bytesRead: Int)
    /// A READ answer came after the reader had its result.
    case finished

    public var description: String {
        switch self {
        case .shortRead(let n): return "tag answered a READ with \(n) byte(s) instead of 16: hold the tag still"
        case .notNDEFFormatted(let m):
            return "tag is not NDEF-formatted (capability container starts with 0x\(String(m, radix: 16)), not E1)"
        case .unsupportedVersion(let v): return "tag's NDEF mapping version 0x\(String(v, radix: 16)) is not 1.x"
        case .emptyDataArea: return "tag's capability container declares no data area"
        case .tlvBeyondDataArea(let t, let end, let size):
            return
                "CC smaller than its TLV: TLV 0x\(String(t, radix: 16)) ends at byte \(end) of a \(size)-byte data area"
        case .noNDEFMessage: return "tag holds no NDEF message"
        case .pageOutOfRange(let p):
            return "tag data continues at page \(p), past the first sector: this tag type is not supported"
        case .tornRead(let n): return "torn read: the tag was taken away after \(n) byte(s); tap again"
        case .finished: return "tag READ answer after the read had finished"
        }
    }
}
