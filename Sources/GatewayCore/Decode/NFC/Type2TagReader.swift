/// Reads the NDEF message of an NFC Forum Type 2 tag (NTAG21x, MIFARE Ultralight) one READ at a
/// time: a pure state machine that asks for a page, is given the 16 bytes (4 pages) the tag
/// answers, and asks for the next page or hands back the message bytes.
///
/// It starts with page 3, the capability container, whose declared size bounds everything after
/// it. From page 4 it walks the TLVs: NULL (00) is skipped, Lock Control (01), Memory Control
/// (02), proprietary (FD) and reserved TLVs are skipped by their length, the first NDEF message
/// (03) is the result, with a 1-byte length or `FF hi lo`. A terminator (FE) or the end of the data
/// area before an NDEF TLV means the tag has none. A TLV that claims more than the data area is an
/// error rather than a read past it (NTAG's dynamic lock bytes and configuration pages lie just
/// after the data area). It reads no page that the answer does not need.
public struct Type2TagReader: Sendable {
    public enum Step: Sendable, Hashable {
        /// Send READ for this page (PN53x InDataExchange `30 page`, PC/SC `FF B0 00 page 10`).
        case read(page: UInt8)
        /// The NDEF message's bytes (empty when the NDEF TLV is empty, as on a freshly formatted tag).
        case done(message: [UInt8])
    }

    /// The capability container page, which is the first one read.
    public static let capabilityContainerPage: UInt8 = 3
    /// What one READ returns: 4 pages of 4 bytes.
    public static let readLength = 16

    /// The first step: read the capability container.
    public let firstStep = Step.read(page: capabilityContainerPage)
    public private(set) var capabilityContainer: Type2CapabilityContainer?
    /// Data-area bytes read so far, from page 4 on, never more than the CC declares.
    private var data: [UInt8] = []
    /// Where the TLV walk resumes: the start of the first TLV not yet read whole.
    private var cursor = 0
    private var finished = false

    public init() {}

    /// Feeds the answer to the READ the last step asked for.
    public mutating func receive(_ answer: [UInt8]) throws(Type2TagError) -> Step {
        guard !finished else { throw .finished }
        do {
            let step = try advance(answer)
            if case .done = step { finished = true }
            return step
        } catch {
            finished = true
            throw error
        }
    }

    /// The error to report when the card went away before the read was done; the read is over.
    public mutating func interrupted() -> Type2TagError {
        finished = true
        return .tornRead(bytesRead: data.count)
    }

    private mutating func advance(_ answer: [UInt8]) throws(Type2TagError) -> Step {
        guard answer.count == Self.readLength else { throw .shortRead(answer.count) }
        let cc: Type2CapabilityContainer
        var fresh = answer[...]
        if let known = capabilityContainer {
            cc = known
        } else {
            cc = try Type2CapabilityContainer(page: answer.prefix(4))
            capabilityContainer = cc
            fresh = answer.dropFirst(4)
        }
        data += fresh.prefix(cc.dataAreaSize - data.count)
        if let message = try walk(size: cc.dataAreaSize) { return .done(message: message) }
        let page = 4 + data.count / 4
        guard page <= 0xFF else { throw .pageOutOfRange(page) }
        return .read(page: UInt8(page))
    }

    /// The NDEF message once it is all read, nil while more bytes are needed.
    private mutating func walk(size: Int) throws(Type2TagError) -> [UInt8]? {
        var i = cursor
        while true {
            guard i < size else { throw .noNDEFMessage }
            cursor = i
            guard i < data.count else { return nil }
            let type = data[i]
            if type == 0x00 {
                i += 1
                continue
            }
            if type == 0xFE { throw .noNDEFMessage }
            guard i + 1 < size else { throw .tlvBeyondDataArea(tlv: type, end: i + 2, size: size) }
            guard i + 1 < data.count else { return nil }
            var length = Int(data[i + 1])
            var value = i + 2
            if length == 0xFF {
                guard i + 3 < size else { throw .tlvBeyondDataArea(tlv: type, end: i + 4, size: size) }
                guard i + 3 < data.count else { return nil }
                length = Int(data[i + 2]) << 8 | Int(data[i + 3])
                value = i + 4
            }
            let end = value + length
            guard end <= size else { throw .tlvBeyondDataArea(tlv: type, end: end, size: size) }
            if type == 0x03 {
                guard end <= data.count else { return nil }
                return Array(data[value..<end])
            }
            i = end
        }
    }
}
