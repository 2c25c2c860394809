/// What a contactless PC/SC reader's ATR says about the card (PC/SC part 3, "3.1.3.2.3 ATR"):
/// a storage card (MIFARE, Ultralight, NTAG) gets a constructed ATR whose historical bytes hold
/// the RID of PC/SC (A0 00 00 03 06), the standard (03: ISO 14443A part 3) and a two-byte card
/// name; an ISO 14443-4 card's historical bytes are those of its ATS. Pure.
public enum PCSCATR {
    static let storageCardPrefix: [UInt8] = [0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06]

    /// The tag type the ATR names. An Ultralight-family name (which NTAG21x also report) is
    /// `type2`: the capability container names the product when it is read.
    public static func tagType(_ atr: [UInt8]) -> NFCTagType {
        guard atr.count >= 2, atr[0] == 0x3B else { return .unknown }
        let historical = Array(atr.dropFirst(4))
        if historical.starts(with: storageCardPrefix), historical.count >= storageCardPrefix.count + 3 {
            let standard = historical[storageCardPrefix.count]
            let name =
                UInt16(historical[storageCardPrefix.count + 1]) << 8 | UInt16(historical[storageCardPrefix.count + 2])
            guard standard == 0x03 else { return .unknown }
            switch name {
            case 0x0001: return .mifareClassic1K
            case 0x0002: return .mifareClassic4K
            case 0x0026: return .mifareMini
            case 0x0003, 0x003A: return .type2
            default: return .unknown
            }
        }
        // 3B 8n 80 01 + ATS historical bytes: ISO-DEP. DESFire's single historical byte is 80.
        if atr.count >= 4, atr[1] & 0xF0 == 0x80, atr[2] == 0x80, atr[3] == 0x01 {
            return historical.dropLast() == [0x80] ? .desfire : .isoDEP
        }
        return .unknown
    }
}
