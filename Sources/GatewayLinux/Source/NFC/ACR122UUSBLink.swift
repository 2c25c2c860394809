import GatewayCore

/// An ACS ACR122U over its USB CCID bulk pipes: the PN532 inside it is reached through the
/// reader's Direct Transmit pseudo-APDU in `PC_to_RDR_XfrBlock` messages (``ACR122UExchange``,
/// `61 xx` answered with GET RESPONSE), and the reader's own LED and buzzer through its
/// `FF 00 40` pseudo-APDU.
///
/// Every pseudo-APDU goes in an XfrBlock, including the LED and buzzer with no tag on the reader,
/// after one `PC_to_RDR_IccPowerOn` on open: the ACR122U's slot is its PN532, which the power-on
/// activates whether or not a tag is there (libnfc's acr122_usb driver does the same). The other
/// way, `PC_to_RDR_Escape` (0x6B), is what pcscd uses for SCardControl; it needs a second message
/// and answer type for nothing this driver lacks.
final class ACR122UUSBLink: PN53xLink {
    let device: USBBulkDevice
    /// The reader's firmware name (e.g. "ACR122U215"), once ``powerOn()`` has asked.
    private(set) var firmwareName: String?
    private var sequence: UInt8 = 0
    static let timeoutMillis = 1000

    init(device: USBBulkDevice) {
        self.device = device
    }

    /// Powers the slot on (the reader answers with its ATR, or with an error when it has been
    /// powered already, which is as good) and asks the reader's firmware version.
    func powerOn() throws(NFCTransceiveError) {
        let seq = nextSequence()
        try device.write(CCIDMessage.iccPowerOn(sequence: seq))
        let answer = try readMessage(timeoutMillis: Self.timeoutMillis, what: "IccPowerOn")
        do {
            _ = try CCIDMessage.parseDataBlock(answer, sequence: seq)
        } catch .commandFailed {
            // Already powered, or no card in the PC/SC sense: the PN532 answers all the same.
        } catch {
            throw .reader("\(device.devnode): IccPowerOn: \(error)")
        }
        firmwareName = (try? transmit(ACR122UCommand.firmwareVersion)).flatMap(ACR122UCommand.firmwareName(of:))
    }

    func exchange(_ command: PN53xFrame, timeoutMillis: Int) throws(NFCTransceiveError) -> PN53xFrame {
        var x: ACR122UExchange
        do {
            x = try ACR122UExchange(command: command, sequence: nextSequence())
        } catch {
            throw .reader("\(device.devnode): \(error)")
        }
        defer { sequence = x.sequence &+ 1 }
        try device.write(x.firstMessage)
        while true {
            let message = try readMessage(
                timeoutMillis: timeoutMillis,
                what: "command 0x\(String(command.command, radix: 16))"
            )
            let action: ACR122UExchange.Action
            do {
                action = try x.receive(message)
            } catch {
                throw .reader("\(device.devnode): command 0x\(String(command.command, radix: 16)): \(error)")
            }
            switch action {
            case .send(let m): try device.write(m)
            case .readAgain: continue
            case .done(let frame): return frame
            }
        }
    }

    func signal(_ signal: ACR122UCommand.Signal) -> Bool {
        guard let answer = try? transmit(signal.apdu), (try? ACR122UCommand.ledState(of: answer)) != nil else {
            return false
        }
        return true
    }

    /// One pseudo-APDU that is not a PN532 command (firmware version, LED and buzzer): its answer.
    private func transmit(_ apdu: [UInt8]) throws(NFCTransceiveError) -> [UInt8] {
        let seq = nextSequence()
        try device.write(CCIDMessage.xfrBlock(apdu, sequence: seq))
        while true {
            let message = try readMessage(timeoutMillis: Self.timeoutMillis, what: "pseudo-APDU")
            do {
                switch try CCIDMessage.parseDataBlock(message, sequence: seq) {
                case .data(let d): return d
                case .timeExtension: continue
                }
            } catch {
                throw .reader("\(device.devnode): \(error)")
            }
        }
    }

    /// One CCID message, read over as many IN transfers as its header's length needs.
    private func readMessage(timeoutMillis: Int, what: String) throws(NFCTransceiveError) -> [UInt8] {
        var message: [UInt8] = []
        repeat {
            guard let bytes = try device.read(timeoutMillis: timeoutMillis) else {
                throw .reader("\(device.devnode): the ACR122U did not answer the \(what) within \(timeoutMillis) ms")
            }
            message += bytes
        } while message.count < (CCIDMessage.length(ofMessageStartingWith: message) ?? CCIDMessage.headerLength)
        return message
    }

    private func nextSequence() -> UInt8 {
        defer { sequence &+= 1 }
        return sequence
    }
}
