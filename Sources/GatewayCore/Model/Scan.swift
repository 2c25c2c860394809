/// One scan as a reader delivered it: the bytes of one label, which reader produced them, and
/// when. This is the boundary between the I/O edge (readers) and the pure pipeline.
///
/// Both clocks are taken at the moment the scan's last byte was read: the wall clock says when it
/// happened for people, the monotonic clock measures intervals that a wall-clock jump (NTP, an
/// operator setting the date) must not distort.
public struct Scan: Sendable, Equatable {
    /// The configured id of the reader (`[[reader]] id`), never a device path.
    public var readerID: String
    /// The label's bytes without framing (no terminator, no STX/ETX).
    public var bytes: [UInt8]
    /// Wall-clock time in nanoseconds since the Unix epoch (CLOCK_REALTIME).
    public var wallNanos: Int64
    /// CLOCK_MONOTONIC in nanoseconds.
    public var monotonicNanos: UInt64
    /// The AIM symbology identifier (`]E0`, `]Q1`, …) when the reader reported one (HID POS).
    public var symbology: String?
    /// An NFC tap: the tag's UID, type, ATQA and SAK. `bytes` is then the tag's NDEF message, or
    /// the UID in upper-case hex when the tag has none (as a UID-typing reader would send it).
    public var nfc: NFCTap?
    /// The reader already knows the read failed (a torn NFC read): the scan is a misread with
    /// this reason whatever its bytes are.
    public var readFailure: Misread?

    public init(
        readerID: String,
        bytes: [UInt8],
        wallNanos: Int64,
        monotonicNanos: UInt64,
        symbology: String? = nil,
        nfc: NFCTap? = nil,
        readFailure: Misread? = nil
    ) {
        self.readerID = readerID
        self.bytes = bytes
        self.wallNanos = wallNanos
        self.monotonicNanos = monotonicNanos
        self.symbology = symbology
        self.nfc = nfc
        self.readFailure = readFailure
    }
}
