/// A PN53x chip as an ISO 14443A reader: the `NFCTransceiver` of the USB backend, over any
/// ``PN53xLink`` (the PN533's own bulk frames, or the ACR122U's CCID pseudo-APDUs). It polls with
/// InListPassiveTarget (up to two tags at 106 kbps type A), reads Type 2 pages with InDataExchange
/// `30 pp`, and releases the tags it listed before the next poll (InRelease halts them), so each
/// poll starts clean. One tap stays one event either way the chip wakes tags: a tag held on the
/// reader is listed again (and `NFCPresence` keeps it), or stays halted and silent until it is
/// lifted and powered again, which is a new tap.
///
/// The reader failing during a READ is reported to the tap in progress as a torn read (the reader
/// went away) or a misread (the link failed), never thrown past it: the tap is still stored, as a
/// misread, and ``fault`` tells the session afterwards what happened to the reader.
public final class PN53xInitiator<Link: PN53xLink>: NFCTransceiver {
    public let link: Link
    /// InListPassiveTarget retries with no tag before it answers "none": a few tens of
    /// milliseconds, so a poll neither spins nor blocks the reader thread.
    public static var passiveActivationRetries: UInt8 { 0x02 }
    /// How long a command other than a poll may take, tag round trips included.
    public let commandTimeoutMillis: Int
    /// The chip's firmware, once ``open()`` has asked.
    public private(set) var firmware: PN53xFirmware?
    /// What went wrong with the reader during a READ, which the READ reported to the tap as a
    /// torn read or a misread: `.readerGone` or `.reader`. Cleared by the next poll.
    public private(set) var fault: NFCTransceiveError?
    /// The targets the last poll listed: UID → the chip's logical number.
    private var listed: [[UInt8]: UInt8] = [:]

    public init(link: Link, commandTimeoutMillis: Int = 1000) {
        self.link = link
        self.commandTimeoutMillis = commandTimeoutMillis
    }

    /// Brings the chip to a known state: asks its firmware (the resync command after the ACK the
    /// link sends on open), puts a PN532 in normal mode, and bounds a poll's retries.
    public func open() throws(NFCTransceiveError) -> PN53xFirmware {
        let answer = try link.exchange(PN53xCommand.firmwareVersion(), timeoutMillis: commandTimeoutMillis)
        let fw = try PN53xFirmware(answer: answer.parameters)
        if fw.isPN532 {
            _ = try link.exchange(PN53xCommand.samNormalMode(), timeoutMillis: commandTimeoutMillis)
        }
        _ = try link.exchange(
            PN53xCommand.maxRetries(passiveActivation: Self.passiveActivationRetries),
            timeoutMillis: commandTimeoutMillis
        )
        firmware = fw
        listed = [:]
        fault = nil
        return fw
    }

    /// One poll: the tags in the field now. A garbled poll answer is `.tag` (poll again).
    public func targets(timeoutMillis: Int) throws(NFCTransceiveError) -> [NFCTarget] {
        fault = nil
        if !listed.isEmpty {
            listed = [:]
            // The status of a release says nothing the poll will not: a tag that left is simply
            // not listed again.
            _ = try link.exchange(PN53xCommand.release(), timeoutMillis: commandTimeoutMillis)
        }
        let answer = try link.exchange(PN53xCommand.listTargets106A(), timeoutMillis: timeoutMillis)
        let found: [ISO14443ATarget]
        do {
            found = try ISO14443ATarget.parseInListPassiveTarget(answer.parameters)
        } catch {
            throw .tag(error.description)
        }
        for t in found { listed[t.uid] = t.number }
        return found.map(NFCTarget.init)
    }

    public func read(page: UInt8, of target: NFCTarget) throws(NFCTransceiveError) -> [UInt8] {
        guard let number = listed[target.uid] else { throw .tagGone }
        let answer: PN53xFrame
        do {
            answer = try link.exchange(
                PN53xCommand.read(target: number, page: page),
                timeoutMillis: commandTimeoutMillis
            )
        } catch .readerGone(let why) {
            fault = .readerGone(why)
            throw .tagGone
        } catch .reader(let why) {
            fault = .reader(why)
            throw .tag("the reader failed during the read: \(why)")
        } catch {
            throw error
        }
        guard let status = answer.parameters.first else { throw .tag("READ of page \(page) answered nothing") }
        if let error = PN53xCommand.error(status: status, during: "READ of page \(page)") { throw error }
        let data = Array(answer.parameters.dropFirst())
        guard data.count == Type2TagReader.readLength else {
            throw .tag("READ of page \(page) answered \(data.count) byte(s) (\(Hex.string(data))) instead of 16: a NAK")
        }
        return data
    }

    public func signal(_ signal: ACR122UCommand.Signal) -> Bool {
        link.signal(signal)
    }
}
