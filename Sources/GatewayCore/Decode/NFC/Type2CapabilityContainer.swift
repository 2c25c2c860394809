/// The capability container of an NFC Forum Type 2 tag (NTAG21x, MIFARE Ultralight): page 3,
/// `E1 version size/8 access`. It says the tag holds NDEF data and how large the data area that
/// starts at page 4 is, which bounds every read of the TLVs.
public struct Type2CapabilityContainer: Sendable, Hashable {
    /// Major version 1 is the one this reader knows; a higher major version must not be read.
    public var version: UInt8
    /// Bytes of the data area from page 4 on (the CC gives it in units of 8 bytes).
    public var dataAreaSize: Int
    /// Read access (high nibble) and write access (low nibble); 0 grants access.
    public var access: UInt8

    public init(version: UInt8 = 0x10, dataAreaSize: Int, access: UInt8 = 0x00) {
        self.version = version
        self.dataAreaSize = dataAreaSize
        self.access = access
    }

    /// Reads the four CC bytes, refusing a tag that is not NDEF-formatted.
    public init(page: some Collection<UInt8>) throws(Type2TagError) {
        let b = Array(page.prefix(4))
        guard b.count == 4 else { throw .shortRead(b.count) }
        guard b[0] == 0xE1 else { throw .notNDEFFormatted(magic: b[0]) }
        guard b[1] >> 4 == 1 else { throw .unsupportedVersion(b[1]) }
        guard b[2] > 0 else { throw .emptyDataArea }
        self.init(version: b[1], dataAreaSize: Int(b[2]) * 8, access: b[3])
    }

    /// The four bytes of page 3.
    public var bytes: [UInt8] {
        [0xE1, version, UInt8(dataAreaSize / 8), access]
    }
}
