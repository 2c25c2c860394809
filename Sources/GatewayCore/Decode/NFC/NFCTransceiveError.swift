/// How an exchange with an NFC reader failed, sorted by what the reader above does about it.
public enum NFCTransceiveError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The tag left the field (or stopped answering) during the exchange: a torn read.
    case tagGone
    /// The tag answered, but not as a tag of its type should (a NAK, a status word other than
    /// 90 00): the tap is a misread with this reason.
    case tag(String)
    /// The reader went away (unplugged, ENODEV, pcscd stopped): wait for it to come back.
    case readerGone(String)
    /// The reader cannot be used (permission, claimed by a kernel driver, protocol error that a
    /// reopen may clear): logged, and the reader is reopened later.
    case reader(String)

    public var description: String {
        switch self {
        case .tagGone: return "the tag left the field during the read"
        case .tag(let why): return why
        case .readerGone(let why): return "reader gone: \(why)"
        case .reader(let why): return why
        }
    }
}
