/// A tag in a reader's field as a backend sees it: the UID always, the tag type, and ATQA and
/// SAK when the backend can see them. A PN53x poll answers all of them; a PC/SC reader answers
/// an ATR instead (PC/SC part 3 names the card in it), so ATQA and SAK are nil there.
public struct NFCTarget: Sendable, Hashable {
    public var uid: [UInt8]
    public var type: NFCTagType
    public var atqa: UInt16?
    public var sak: UInt8?

    public init(uid: [UInt8], type: NFCTagType, atqa: UInt16? = nil, sak: UInt8? = nil) {
        self.uid = uid
        self.type = type
        self.atqa = atqa
        self.sak = sak
    }

    /// A target a PN53x InListPassiveTarget found.
    public init(_ t: ISO14443ATarget) {
        self.init(uid: t.uid, type: t.type, atqa: t.atqa, sak: t.sak)
    }

    /// What the event carries (`nfc` in the capture event).
    public var tap: NFCTap {
        NFCTap(
            uid: Hex.string(uid).uppercased(),
            type: type,
            atqa: atqa.map { Hex.string([UInt8($0 >> 8), UInt8($0 & 0xFF)]).uppercased() },
            sak: sak.map { Hex.string([$0]).uppercased() }
        )
    }
}
