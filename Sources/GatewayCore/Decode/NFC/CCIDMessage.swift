/// The USB CCID bulk messages (CCID 1.1, §6.1.1, §6.1.4 and §6.2.1) gatewayd's own ACR122U driver
/// needs: `PC_to_RDR_IccPowerOn` once on open, `PC_to_RDR_XfrBlock` carrying a command APDU to
/// the reader, and `RDR_to_PC_DataBlock` carrying the answer to either. Every message has the same 10-byte header: type, dwLength (little
/// endian), slot, sequence number, then three bytes whose meaning depends on the type.
public enum CCIDMessage {
    public static let headerLength = 10
    public static let iccPowerOnType: UInt8 = 0x62
    public static let xfrBlockType: UInt8 = 0x6F
    public static let dataBlockType: UInt8 = 0x80

    /// What a data block says besides its data.
    public enum Reply: Sendable, Hashable {
        case data([UInt8])
        /// The reader needs more time (bStatus command status 2): read the bulk IN pipe again.
        /// The multiplier of the waiting time is in the error byte.
        case timeExtension(multiplier: UInt8)
    }

    /// Whether a card (here: the reader's own PN532 slot) is present and active, from bStatus.
    public enum ICCStatus: UInt8, Sendable, Hashable {
        case active = 0
        case inactive = 1
        case absent = 2
        case reserved = 3
    }

    /// A `PC_to_RDR_IccPowerOn` for `slot`, voltage chosen by the reader. The ACR122U answers
    /// with a data block holding its ATR; after it, the reader takes pseudo-APDUs in XfrBlock
    /// messages whether or not a tag is on it.
    public static func iccPowerOn(slot: UInt8 = 0, sequence: UInt8) -> [UInt8] {
        [iccPowerOnType, 0, 0, 0, 0, slot, sequence, 0x00, 0x00, 0x00]
    }

    /// A `PC_to_RDR_XfrBlock` carrying `data`. `bwi` extends the block waiting time of a T=1
    /// card (0 for the ACR122U); `levelParameter` is 0 for short APDUs.
    public static func xfrBlock(
        _ data: [UInt8],
        slot: UInt8 = 0,
        sequence: UInt8,
        bwi: UInt8 = 0,
        levelParameter: UInt16 = 0
    ) -> [UInt8] {
        var out: [UInt8] = [xfrBlockType]
        out += littleEndian(UInt32(data.count))
        out += [slot, sequence, bwi, UInt8(levelParameter & 0xFF), UInt8(levelParameter >> 8)]
        out += data
        return out
    }

    /// The whole length of the message that starts with `prefix`, once its header is there, so
    /// the driver knows whether to read again.
    public static func length(ofMessageStartingWith prefix: some Collection<UInt8>) -> Int? {
        guard prefix.count >= 5 else { return nil }
        let b = Array(prefix.prefix(5))
        let dw = Int(b[1]) | Int(b[2]) << 8 | Int(b[3]) << 16 | Int(b[4]) << 24
        return headerLength + dw
    }

    /// Reads a `RDR_to_PC_DataBlock` answering the message sent with `sequence`.
    public static func parseDataBlock(_ bytes: [UInt8], sequence: UInt8) throws(CCIDError) -> Reply {
        guard bytes.count >= headerLength else { throw .truncated(have: bytes.count, need: headerLength) }
        guard bytes[0] == dataBlockType else { throw .unexpectedMessageType(bytes[0]) }
        let total = length(ofMessageStartingWith: bytes) ?? headerLength
        guard bytes.count >= total else { throw .truncated(have: bytes.count, need: total) }
        guard bytes.count == total else { throw .trailingBytes(bytes.count - total) }
        guard bytes[6] == sequence else { throw .sequenceMismatch(bytes[6], expected: sequence) }
        let status = bytes[7]
        let error = bytes[8]
        let icc = ICCStatus(rawValue: status & 0x03) ?? .reserved
        switch status >> 6 {
        case 0:
            guard bytes[9] == 0 else { throw .chainedBlock(bytes[9]) }
            return .data(Array(bytes[headerLength...]))
        case 1:
            throw .commandFailed(error: error, icc: icc)
        case 2:
            return .timeExtension(multiplier: error)
        default:
            throw .reservedStatus(status)
        }
    }

    private static func littleEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)]
    }
}
