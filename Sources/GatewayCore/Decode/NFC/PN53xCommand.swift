/// The PN53x commands gatewayd's own driver sends (PN533 user manual, "Commands"), and what the
/// status byte of a tag exchange says. Pure builders: the link that carries them is
/// ``PN53xLink``, the tag reading above them ``PN53xInitiator``.
public enum PN53xCommand {
    public static let getFirmwareVersion: UInt8 = 0x02
    public static let samConfiguration: UInt8 = 0x14
    public static let rfConfiguration: UInt8 = 0x32
    public static let inDataExchange: UInt8 = 0x40
    public static let inListPassiveTarget: UInt8 = 0x4A
    public static let inRelease: UInt8 = 0x52

    /// GetFirmwareVersion: harmless, answered by every PN53x, and the first command after an ACK
    /// on open (it also puts the USB data toggle of host and chip back in step).
    public static func firmwareVersion() -> PN53xFrame {
        .command(getFirmwareVersion)
    }

    /// SAMConfiguration, normal mode (no secure module): a PN532 wants it before it polls.
    public static func samNormalMode() -> PN53xFrame {
        .command(samConfiguration, [0x01])
    }

    /// RFConfiguration item 5 (MaxRetries). `passiveActivation` bounds how often
    /// InListPassiveTarget retries before answering "no target": the default (FF) retries for
    /// ever, which would hold the reader thread until a tag came; a few retries answer within
    /// tens of milliseconds, so polling, stopping and unplugging are all noticed promptly.
    public static func maxRetries(atr: UInt8 = 0x00, psl: UInt8 = 0x01, passiveActivation: UInt8) -> PN53xFrame {
        .command(rfConfiguration, [0x05, atr, psl, passiveActivation])
    }

    /// InListPassiveTarget at 106 kbps type A (ISO 14443A): up to `maxTargets` (at most 2) tags.
    public static func listTargets106A(maxTargets: UInt8 = 2) -> PN53xFrame {
        .command(inListPassiveTarget, [min(maxTargets, 2), 0x00])
    }

    /// InDataExchange: `data` to the listed target `target` (1 or 2), e.g. a Type 2 READ `30 pp`.
    public static func exchange(target: UInt8, _ data: [UInt8]) -> PN53xFrame {
        .command(inDataExchange, [target] + data)
    }

    /// A Type 2 READ of four pages from `page`, to listed target `target`.
    public static func read(target: UInt8, page: UInt8) -> PN53xFrame {
        exchange(target: target, [0x30, page])
    }

    /// InRelease: the chip forgets the listed target (0: all of them) and halts it, so the next
    /// poll starts from a clean state.
    public static func release(target: UInt8 = 0) -> PN53xFrame {
        .command(inRelease, [target])
    }

    /// What an error status (the first byte of an InDataExchange or InRelease answer, low six
    /// bits) means for the tap: nil for success, `.tagGone` when the tag stopped answering
    /// (timeout, card gone or exchanged), `.tag` for the other errors of the exchange.
    public static func error(status: UInt8, during what: String) -> NFCTransceiveError? {
        switch status & 0x3F {
        case 0x00: return nil
        case 0x01, 0x29, 0x2A, 0x2B: return .tagGone
        default: return .tag("\(what) failed: \(statusName(status))")
        }
    }

    /// The PN533 manual's words for an error status.
    public static func statusName(_ status: UInt8) -> String {
        let code = status & 0x3F
        let name: String
        switch code {
        case 0x01: name = "timeout, the tag did not answer"
        case 0x02: name = "CRC error"
        case 0x03: name = "parity error"
        case 0x04: name = "wrong bit count during anticollision"
        case 0x05: name = "framing error"
        case 0x06: name = "bit collision"
        case 0x07: name = "buffer too small"
        case 0x09: name = "RF buffer overflow"
        case 0x0A: name = "RF field not switched on in time"
        case 0x0B: name = "RF protocol error"
        case 0x0D: name = "overheating"
        case 0x0E: name = "internal buffer overflow"
        case 0x10: name = "invalid parameter"
        case 0x13: name = "data format not matched"
        case 0x14: name = "authentication error"
        case 0x23: name = "wrong UID check byte"
        case 0x25: name = "invalid device state"
        case 0x26: name = "operation not allowed"
        case 0x27: name = "command not acceptable now"
        case 0x29: name = "target released"
        case 0x2A: name = "card exchanged"
        case 0x2B: name = "card disappeared"
        default: name = "error"
        }
        return "\(name) (status 0x\(String(code, radix: 16, uppercase: true)))"
    }
}
