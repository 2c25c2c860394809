/// How a PN53x chip is reached: its own frames over USB bulk (PN533, SCL3711, RC-S360) or its
/// frame bodies inside a reader's CCID pseudo-APDUs (ACR122U). ``PN53xInitiator`` drives the chip
/// through it and does not care which; tests fake it with a scripted chip.
///
/// Implementations belong to one reader thread (not `Sendable`).
public protocol PN53xLink: AnyObject {
    /// Sends `command` and returns the chip's answer to it (TFI `D5`, the command code + 1).
    /// Waits at most about `timeoutMillis` for the answer.
    /// - Throws: `.readerGone` when the device went away, `.reader` when the link failed
    ///   (no answer, corrupt frames that retries did not cure).
    func exchange(_ command: PN53xFrame, timeoutMillis: Int) throws(NFCTransceiveError) -> PN53xFrame

    /// The LED and buzzer of the reader around the chip. - Returns: false when it has none.
    func signal(_ signal: ACR122UCommand.Signal) -> Bool
}
