/// The kind of ISO 14443A tag on the reader, named from its ATQA and SAK (NXP AN10833, "MIFARE
/// type identification procedure") and, for Type 2 tags, the GET_VERSION answer. The name decides
/// what is read: a Type 2 tag's NDEF message, or only the UID of the others.
public enum NFCTagType: String, Sendable, Hashable, CaseIterable, Codable {
    case ntag213 = "ntag213"
    case ntag215 = "ntag215"
    case ntag216 = "ntag216"
    case mifareUltralight = "mifare_ultralight"
    /// A Type 2 tag whose exact product is not known (GET_VERSION not asked or not recognised).
    case type2 = "type2"
    case mifareMini = "mifare_mini"
    case mifareClassic1K = "mifare_classic_1k"
    case mifareClassic4K = "mifare_classic_4k"
    case desfire = "desfire"
    /// An ISO 14443-4 card other than DESFire (a bank or identity card, a phone).
    case isoDEP = "iso_dep"
    case unknown = "unknown"

    /// `version` is the 8-byte GET_VERSION (60h) answer of a Type 2 tag: nil when it was not
    /// asked, empty when the tag did not answer it (the first MIFARE Ultralight does not).
    public static func identify(atqa: UInt16, sak: UInt8, version: [UInt8]? = nil) -> NFCTagType {
        if sak & 0x20 != 0 {
            // ISO 14443-4 compliant; DESFire (EV1 and later) answers ATQA 0344.
            return atqa == 0x0344 ? .desfire : .isoDEP
        }
        if sak == 0x09 { return .mifareMini }
        if sak & 0x18 == 0x18 { return .mifareClassic4K }
        if sak & 0x08 != 0 { return .mifareClassic1K }
        guard sak == 0x00 else { return .unknown }
        guard let version else { return .type2 }
        if version.isEmpty { return .mifareUltralight }
        // Header 00, vendor 04 (NXP), product type, subtype, major, minor, storage size, protocol.
        guard version.count == 8, version[0] == 0x00, version[1] == 0x04 else { return .type2 }
        switch (version[2], version[6]) {
        case (0x04, 0x0F): return .ntag213
        case (0x04, 0x11): return .ntag215
        case (0x04, 0x13): return .ntag216
        case (0x03, _): return .mifareUltralight
        default: return .type2
        }
    }

    /// Whether the tag is read as a Type 2 tag (capability container, NDEF TLV).
    public var isType2: Bool {
        switch self {
        case .ntag213, .ntag215, .ntag216, .mifareUltralight, .type2: return true
        default: return false
        }
    }
}
