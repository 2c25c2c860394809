/// One PN532 command sent through an ACR122U and its answer brought back: the command goes in a
/// Direct Transmit pseudo-APDU inside a CCID `PC_to_RDR_XfrBlock`; the reader answers with a
/// `RDR_to_PC_DataBlock` that holds either the PN532 answer and `90 00`, or `61 xx`, in which
/// case a GET RESPONSE fetches it. A pure state machine: the driver sends what it is told, reads
/// the bulk IN pipe, and feeds each message back.
public struct ACR122UExchange: Sendable {
    public enum Action: Sendable, Hashable {
        /// Write this CCID message to the bulk OUT pipe, then read an answer.
        case send([UInt8])
        /// The reader asked for more time: read the bulk IN pipe again.
        case readAgain
        /// The PN532's answer to the command.
        case done(PN53xFrame)
    }

    /// The reader answered `61 xx` no more than this many times in a row.
    static let maxGetResponses = 4

    /// The CCID message that starts the exchange.
    public let firstMessage: [UInt8]
    /// The sequence number of the last message sent; the driver starts its next exchange after it.
    public private(set) var sequence: UInt8
    private let slot: UInt8
    private let request: UInt8
    private var collected: [UInt8] = []
    private var getResponses = 0
    private var finished = false

    public init(command: PN53xFrame, sequence: UInt8, slot: UInt8 = 0) throws(ACR122UError) {
        guard let apdu = ACR122UCommand.directTransmit(command) else {
            throw .commandTooLong(command.body.count)
        }
        self.request = command.command
        self.sequence = sequence
        self.slot = slot
        self.firstMessage = CCIDMessage.xfrBlock(apdu, slot: slot, sequence: sequence)
    }

    /// Feeds one CCID message read from the bulk IN pipe.
    public mutating func receive(_ message: [UInt8]) throws(ACR122UError) -> Action {
        guard !finished else { throw .exchangeFinished }
        do {
            return try step(message)
        } catch {
            finished = true
            throw error
        }
    }

    private mutating func step(_ message: [UInt8]) throws(ACR122UError) -> Action {
        let reply: CCIDMessage.Reply
        do {
            reply = try CCIDMessage.parseDataBlock(message, sequence: sequence)
        } catch {
            throw .ccid(error)
        }
        guard case .data(let apduResponse) = reply else { return .readAgain }
        switch try ACR122UCommand.status(of: apduResponse) {
        case .getResponse(let length, let partial):
            getResponses += 1
            guard getResponses <= Self.maxGetResponses else { throw .tooManyGetResponses }
            collected += partial
            sequence &+= 1
            return .send(
                CCIDMessage.xfrBlock(ACR122UCommand.getResponse(length: length), slot: slot, sequence: sequence)
            )
        case .complete(let data):
            finished = true
            let body = collected + data
            if body == [0x7F] { throw .chipSyntaxError }
            do {
                let frame = try PN53xFrame.parse(body: body, from: .chipToHost)
                _ = try frame.parameters(answering: request)
                return .done(frame)
            } catch {
                throw .frame(error)
            }
        }
    }
}
