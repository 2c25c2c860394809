/// The seam between an NFC backend and the tag reader above it (`NFCTapReader`): the few
/// operations reading a tap needs, each one or a few round trips to the reader. The PC/SC
/// backend speaks APDUs to pcscd (`FF CA` for the UID, `FF B0` for pages); the USB backend
/// speaks PN53x frames over libusb, directly to a PN533 or wrapped in CCID for an ACR122U. Tests
/// fake it with tag memories (`NFCTapReaderTests`).
///
/// Implementations belong to one reader thread (not `Sendable`).
public protocol NFCTransceiver: AnyObject {
    /// The tags in the field now. Waits at most `timeoutMillis` for the field to change (PC/SC:
    /// `SCardGetStatusChange`; PN53x: one InListPassiveTarget, which waits for a tag itself) and
    /// returns the present tags whether or not it changed.
    func targets(timeoutMillis: Int) throws(NFCTransceiveError) -> [NFCTarget]

    /// One Type 2 READ: the 16 bytes (four pages) from `page` of `target`.
    func read(page: UInt8, of target: NFCTarget) throws(NFCTransceiveError) -> [UInt8]

    /// Tells the operator the outcome of a tap (LED and buzzer). - Returns: false when the
    /// reader has no way to (no buzzer, or feedback is off); a failure is not an error of the tap.
    func signal(_ signal: ACR122UCommand.Signal) -> Bool
}
