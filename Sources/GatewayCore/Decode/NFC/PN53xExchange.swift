/// One command sent to a PN53x chip over a link that carries its frames as they are (a PN533's
/// USB bulk pipes, a PN532 on a serial line) and the answer brought back. The chip acknowledges a
/// frame it accepted with an ACK and then sends its answer; either side answers a frame that
/// fails its checksums with a NACK, and the other side sends its last frame again (PN533 user
/// manual, "Host controller communication protocol").
///
/// A pure state machine: the driver writes ``firstMessage``, reads the IN pipe and feeds what it
/// read to ``receive(_:)``, writes what it is told to send, and calls ``timedOut()`` when a read
/// brings nothing in time. Retries are bounded, so a link that keeps corrupting frames ends the
/// exchange with an error instead of looping.
public struct PN53xExchange: Sendable {
    public enum Action: Sendable, Hashable {
        /// Write these bytes (a NACK, or the command again), then read.
        case send([UInt8])
        /// Read the IN pipe again: the answer is not complete yet.
        case read
        /// The chip's answer to the command (TFI `D5`, the command code + 1).
        case done(PN53xFrame)
    }

    /// How many NACKs the host sends, and how many the chip's NACKs it answers, before it gives up.
    public static let defaultMaxRetries = 3

    public let command: PN53xFrame
    /// The command on the wire: what the driver writes first, and again when the chip NACKs it.
    public let firstMessage: [UInt8]
    /// Whether the chip has acknowledged the command (it is running it).
    public private(set) var acknowledged = false
    public private(set) var nacksSent = 0
    public private(set) var resends = 0
    private let maxRetries: Int
    private var decoder = PN53xFrameDecoder(expecting: .chipToHost)
    private var finished = false

    public init(command: PN53xFrame, maxRetries: Int = defaultMaxRetries) {
        self.command = command
        self.firstMessage = command.encoded
        self.maxRetries = maxRetries
    }

    /// Feeds the bytes of one IN transfer.
    public mutating func receive(_ bytes: some Sequence<UInt8>) throws(PN53xExchangeError) -> Action {
        guard !finished else { throw .finished }
        decoder.feed(bytes)
        do {
            return try step()
        } catch {
            finished = true
            throw error
        }
    }

    /// A read timed out. Bytes that never became a frame (a corrupted preamble or length) are
    /// answered with a NACK, so the chip sends its answer again; with nothing buffered the chip
    /// did not answer at all, which ends the exchange (the driver then aborts the command with
    /// an ACK).
    public mutating func timedOut() throws(PN53xExchangeError) -> Action {
        guard !finished else { throw .finished }
        guard decoder.bufferedCount > 0 else {
            finished = true
            throw .noAnswer(acknowledged: acknowledged)
        }
        do {
            return try requestResend(after: .truncated(have: decoder.bufferedCount, need: decoder.bufferedCount + 1))
        } catch {
            finished = true
            throw error
        }
    }

    private mutating func step() throws(PN53xExchangeError) -> Action {
        while true {
            let item: PN53xFrameDecoder.Output?
            do {
                item = try decoder.next()
            } catch .garbageBeforePreamble {
                // Dropped; the decoder looks for the next preamble.
                continue
            } catch .lengthChecksum {
                return try requestResend(after: .lengthChecksum)
            } catch .dataChecksum {
                return try requestResend(after: .dataChecksum)
            } catch .badPostamble(let b) {
                return try requestResend(after: .badPostamble(b))
            } catch {
                // A whole frame that is not the chip's (wrong TFI, no command byte): the link is
                // out of step, which a resend does not cure.
                throw .unexpected(error)
            }
            guard let item else { return .read }
            switch item {
            case .ack:
                acknowledged = true
            case .nack:
                // The chip could not read the command: send it again.
                resends += 1
                guard resends <= maxRetries else { throw .commandRejected(times: resends) }
                decoder.reset()
                acknowledged = false
                return .send(firstMessage)
            case .applicationError:
                throw .syntaxError
            case .frame(let frame):
                guard frame.command == command.command &+ 1 else {
                    throw .unexpected(.unexpectedCommand(frame.command, expected: command.command &+ 1))
                }
                finished = true
                return .done(frame)
            }
        }
    }

    private mutating func requestResend(after error: PN53xFrameError) throws(PN53xExchangeError) -> Action {
        nacksSent += 1
        guard nacksSent <= maxRetries else { throw .corruptAnswers(error, nacks: nacksSent - 1) }
        // The chip sends the whole frame again: whatever is buffered is part of the bad one.
        decoder.reset()
        return .send(PN53xFrame.nack)
    }
}
