/// What a PN53x says about itself in its GetFirmwareVersion answer: the chip (PN531, PN532,
/// PN533), its firmware version and what it supports. Logged once per connection, so a
/// technician can tell which chip is behind a reader.
public struct PN53xFirmware: Sendable, Hashable, CustomStringConvertible {
    /// The IC byte: 0x32 for a PN532, 0x33 for a PN533; 0x31 stands for a PN531, which does not
    /// send one.
    public var ic: UInt8
    public var version: UInt8
    public var revision: UInt8
    /// Bit 0 ISO 14443A, bit 1 ISO 14443B, bit 2 ISO 18092; nil on a PN531.
    public var support: UInt8?

    public init(ic: UInt8, version: UInt8, revision: UInt8, support: UInt8?) {
        self.ic = ic
        self.version = version
        self.revision = revision
        self.support = support
    }

    /// Reads the parameters of the answer (`D5 03` + these): `IC Ver Rev Support` from a PN532
    /// or PN533, `Ver Rev` from a PN531.
    public init(answer parameters: [UInt8]) throws(NFCTransceiveError) {
        switch parameters.count {
        case 4: self.init(ic: parameters[0], version: parameters[1], revision: parameters[2], support: parameters[3])
        case 2: self.init(ic: 0x31, version: parameters[0], revision: parameters[1], support: nil)
        default:
            throw .reader(
                "GetFirmwareVersion answered \(parameters.count) byte(s), not a PN53x's 2 or 4: is this a PN53x reader?"
            )
        }
    }

    /// Whether the chip is a PN532, which needs SAMConfiguration before it polls.
    public var isPN532: Bool { ic == 0x32 }

    /// e.g. "PN533 v2.7".
    public var description: String {
        "PN5\(String(ic, radix: 16, uppercase: true)) v\(version).\(revision)"
    }
}
