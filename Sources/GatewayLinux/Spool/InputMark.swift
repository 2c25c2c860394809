/// Which input bytes a reader has committed scans for, stored in the same transaction as the
/// envelopes. A reader that peeks (tee) commits first and consumes after; if the process dies
/// between the two, the next start finds the same bytes at the head of the pipe, recognises them
/// by length and an HMAC-SHA256 under a per-boot key (`InputMarkHasher`; a plain hash of a
/// short label could be reversed), and consumes them without spooling them twice.
public struct InputMark: Sendable, Equatable {
    public var reader: String
    /// /proc/sys/kernel/random/boot_id: a pipe's contents do not outlive a boot.
    public var bootID: String
    public var length: Int
    public var digest: [UInt8]

    public init(reader: String, bootID: String, length: Int, digest: [UInt8]) {
        self.reader = reader
        self.bootID = bootID
        self.length = length
        self.digest = digest
    }
}
