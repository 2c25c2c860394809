/// What an NFC tap adds to its capture event (`nfc`): the tag's UID in upper-case hex, its type,
/// and ATQA and SAK in hex when the reader reports them. The UID can identify a person (a staff
/// or transit card), so the built-in `badge` rule replaces it with its pseudonym (field
/// `nfc.uid`) before sealing, as it does a badge id.
public struct NFCTap: Codable, Sendable, Equatable {
    public var uid: String
    public var type: NFCTagType
    public var atqa: String?
    public var sak: String?

    public init(uid: String, type: NFCTagType, atqa: String? = nil, sak: String? = nil) {
        self.uid = uid
        self.type = type
        self.atqa = atqa
        self.sak = sak
    }
}
