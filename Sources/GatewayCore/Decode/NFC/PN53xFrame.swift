/// One information frame of the NXP PN531/PN532/PN533 host protocol (PN533 user manual, "Host
/// controller communication"): a direction byte (TFI), a command code and its parameters.
///
/// The host sends TFI `D4` and a command; the chip answers TFI `D5` and that command + 1. On the
/// wire a frame is `00 00 FF LEN LCS TFI data… DCS 00`, where LEN counts TFI and data, LEN + LCS
/// and TFI + data + DCS are 0 modulo 256. A frame whose TFI and data do not fit in one length byte
/// uses the extended form `00 00 FF FF FF LENm LENl LCS TFI data… DCS 00`. The ACR122U carries
/// only the TFI and data (``body``) inside its pseudo-APDU, with no framing of its own.
public struct PN53xFrame: Sendable, Hashable {
    /// Who sent the frame, which is what the TFI byte says.
    public enum Direction: UInt8, Sendable, Hashable {
        case hostToChip = 0xD4
        case chipToHost = 0xD5
    }

    public var direction: Direction
    public var command: UInt8
    public var parameters: [UInt8]

    public init(direction: Direction, command: UInt8, parameters: [UInt8] = []) {
        self.direction = direction
        self.command = command
        self.parameters = parameters
    }

    /// A command from the host, e.g. `PN53xFrame.command(0x4A, [0x01, 0x00])` (InListPassiveTarget).
    public static func command(_ code: UInt8, _ parameters: [UInt8] = []) -> PN53xFrame {
        PN53xFrame(direction: .hostToChip, command: code, parameters: parameters)
    }

    /// The chip's answer to `code`, as a test or an emulator builds it.
    public static func response(to code: UInt8, _ parameters: [UInt8] = []) -> PN53xFrame {
        PN53xFrame(direction: .chipToHost, command: code &+ 1, parameters: parameters)
    }

    /// The acknowledgement either side sends after a frame it accepted.
    public static let ack: [UInt8] = [0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00]
    /// The request to send the last frame again, sent after a frame that failed its checksums.
    public static let nack: [UInt8] = [0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00]
    /// The chip's answer to a frame it could not make sense of (a syntax error), not to a command.
    public static let applicationError: [UInt8] = [0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00]

    /// The largest TFI + data a frame can carry: the two bytes of an extended length.
    public static let maxBodyLength = 0xFFFF

    /// TFI, command and parameters: what LEN counts and DCS covers.
    public var body: [UInt8] {
        [direction.rawValue, command] + parameters
    }

    /// The frame on the wire: the normal form when the body fits in one length byte, the extended
    /// form otherwise. The caller keeps the body within ``maxBodyLength``.
    public var encoded: [UInt8] {
        let body = self.body
        precondition(body.count <= Self.maxBodyLength, "PN53x frame body of \(body.count) bytes")
        var out: [UInt8] = [0x00, 0x00, 0xFF]
        if body.count <= 0xFF {
            let len = UInt8(body.count)
            out += [len, 0 &- len]
        } else {
            let hi = UInt8(body.count >> 8)
            let lo = UInt8(body.count & 0xFF)
            out += [0xFF, 0xFF, hi, lo, 0 &- (hi &+ lo)]
        }
        out += body
        out.append(0 &- Self.sum(body))
        out.append(0x00)
        return out
    }

    /// Reads a body (TFI, command, parameters) such as the ACR122U returns before its status
    /// word, checking that it comes from `direction`.
    public static func parse(
        body: some Collection<UInt8>,
        from direction: Direction
    ) throws(PN53xFrameError) -> PN53xFrame {
        guard let tfi = body.first else { throw .emptyFrame }
        guard tfi == direction.rawValue else { throw .wrongTFI(tfi, expected: direction.rawValue) }
        let rest = body.dropFirst()
        guard let command = rest.first else { throw .emptyFrame }
        return PN53xFrame(direction: direction, command: command, parameters: Array(rest.dropFirst()))
    }

    /// The parameters of this frame if it is the chip's answer to `request`, which is what a host
    /// waits for after each command.
    public func parameters(answering request: UInt8) throws(PN53xFrameError) -> [UInt8] {
        guard direction == .chipToHost else { throw .wrongTFI(direction.rawValue, expected: 0xD5) }
        guard command == request &+ 1 else { throw .unexpectedCommand(command, expected: request &+ 1) }
        return parameters
    }

    static func sum(_ bytes: some Sequence<UInt8>) -> UInt8 {
        var s: UInt8 = 0
        for b in bytes { s &+= b }
        return s
    }
}
