import GatewayCore

/// A PN533-family stick (NXP PN533, SCL3711, Sony RC-S360) over its USB bulk pipes: PN53x frames
/// as they are, each command acknowledged and answered (``PN53xExchange``). Has no LED or buzzer
/// gatewayd drives.
final class PN533USBLink: PN53xLink {
    let device: USBBulkDevice

    init(device: USBBulkDevice) {
        self.device = device
    }

    /// The resync on open: an ACK aborts whatever the chip was still doing for a previous owner,
    /// and the GetFirmwareVersion that ``PN53xInitiator/open()`` sends next puts the host's and
    /// the chip's USB data toggles back in step (a PN533 does not reset its own when the host
    /// selects the configuration).
    func resync() throws(NFCTransceiveError) {
        try device.write(PN53xFrame.ack)
    }

    func exchange(_ command: PN53xFrame, timeoutMillis: Int) throws(NFCTransceiveError) -> PN53xFrame {
        var x = PN53xExchange(command: command)
        try device.write(x.firstMessage)
        while true {
            let bytes = try device.read(timeoutMillis: timeoutMillis)
            let action: PN53xExchange.Action
            do {
                if let bytes { action = try x.receive(bytes) } else { action = try x.timedOut() }
            } catch {
                if case .noAnswer = error {
                    // Abort the command, so its late answer is not taken for the next one's.
                    try? device.write(PN53xFrame.ack)
                }
                throw .reader("\(device.devnode): command 0x\(String(command.command, radix: 16)): \(error)")
            }
            switch action {
            case .send(let b): try device.write(b)
            case .read: continue
            case .done(let frame): return frame
            }
        }
    }

    func signal(_ signal: ACR122UCommand.Signal) -> Bool { false }
}
