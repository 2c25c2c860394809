/// Why a PN53x exchange (``PN53xExchange``) ended without the chip's answer. None of these is
/// about a tag: the link to the chip is out of order, and the driver resynchronises it (ACK,
/// GetFirmwareVersion) or reopens the reader.
public enum PN53xExchangeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The chip's answer kept failing its checks after this many NACKs.
    case corruptAnswers(PN53xFrameError, nacks: Int)
    /// The chip kept answering the command with a NACK.
    case commandRejected(times: Int)
    /// The chip sent its syntax-error frame: it did not understand the command.
    case syntaxError
    /// A frame that does not belong to this exchange (another command's answer, a host frame).
    case unexpected(PN53xFrameError)
    /// Nothing arrived in time; `acknowledged` says whether the chip had taken the command.
    case noAnswer(acknowledged: Bool)
    /// Bytes arrived after the exchange had ended.
    case finished

    public var description: String {
        switch self {
        case .corruptAnswers(let e, let n):
            return "PN53x answers still corrupt after \(n) NACK(s) (\(e.description)): check the USB cable or hub"
        case .commandRejected(let n):
            return "the PN53x refused the command \(n) time(s) (NACK): check the USB cable or hub"
        case .syntaxError:
            return "the PN53x did not understand the command (syntax error frame)"
        case .unexpected(let e):
            return "\(e.description)"
        case .noAnswer(let acknowledged):
            return acknowledged
                ? "the PN53x took the command but did not answer in time"
                : "the PN53x did not acknowledge the command: is it powered and enumerated?"
        case .finished:
            return "PN53x bytes arrived after the exchange ended: resync the reader"
        }
    }
}
