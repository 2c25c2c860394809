/// Reads one tap over any backend: the UID and type always; for a Type 2 tag (NTAG21x, MIFARE
/// Ultralight) its NDEF message too, by driving `Type2TagReader` one READ at a time. MIFARE
/// Classic, DESFire and other ISO-DEP cards give their UID and type only: their data is behind
/// keys a kiosk does not hold.
///
/// A tag that leaves mid-read, or answers a READ wrongly, is a misread with the reason — never
/// a partial message passed on as whole. A blank tag (not NDEF-formatted, no NDEF TLV, an empty
/// message) is a tap with a UID and no message. Only the reader going away is thrown.
public enum NFCTapReader {
    public enum Outcome: Sendable, Hashable {
        /// The tag's NDEF message (never empty).
        case message([UInt8])
        /// No data to read, or none on the tag: the UID and type are the tap.
        case uidOnly
        /// The read failed; the tap is still reported, as a misread with this reason.
        case misread(String)
    }

    /// A Type 2 tag whose type was not known before its capability container was read is named
    /// by the data-area size the CC declares (NTAG213 144, NTAG215 496, NTAG216 872 bytes).
    public static func refinedType(_ type: NFCTagType, dataAreaSize: Int) -> NFCTagType {
        guard type == .type2 || type == .mifareUltralight else { return type }
        switch dataAreaSize {
        case 144: return .ntag213
        case 496: return .ntag215
        case 872: return .ntag216
        default: return type
        }
    }

    /// - Returns: the outcome and the target, its type refined by the capability container.
    public static func read(
        _ target: NFCTarget,
        over transceiver: some NFCTransceiver
    ) throws(NFCTransceiveError) -> (Outcome, NFCTarget) {
        guard target.type.isType2 else { return (.uidOnly, target) }
        var tag = Type2TagReader()
        var step = tag.firstStep
        while true {
            guard case .read(let page) = step else { break }
            let answer: [UInt8]
            do {
                answer = try transceiver.read(page: page, of: target)
            } catch .tagGone {
                return (.misread(tag.interrupted().description), target)
            } catch .tag(let why) {
                return (.misread(why), target)
            } catch {
                throw error
            }
            do {
                step = try tag.receive(answer)
            } catch .notNDEFFormatted, .noNDEFMessage {
                return (.uidOnly, refined(target, tag))
            } catch {
                return (.misread(error.description), refined(target, tag))
            }
        }
        guard case .done(let message) = step else { return (.uidOnly, target) }
        return (message.isEmpty ? .uidOnly : .message(message), refined(target, tag))
    }

    private static func refined(_ target: NFCTarget, _ tag: Type2TagReader) -> NFCTarget {
        var t = target
        if let cc = tag.capabilityContainer { t.type = refinedType(t.type, dataAreaSize: cc.dataAreaSize) }
        return t
    }
}
