/// The ACR122U's pseudo-APDUs (ACS "ACR122U API" reference): the reader has no tag protocol of its
/// own for gatewayd's use, it passes PN532 frame bodies through "Direct Transmit", and drives its
/// bi-colour LED and buzzer. These are pure builders and readers of the status word; the CCID
/// framing around them is ``CCIDMessage``, the exchange as a whole ``ACR122UExchange``.
public enum ACR122UCommand {
    /// What the reader's status word says about a Direct Transmit or GET RESPONSE.
    public enum Status: Sendable, Hashable {
        /// `90 00`: the bytes before the status word are the answer.
        case complete([UInt8])
        /// `61 xx`: the answer, xx bytes long, is waiting; fetch it with ``getResponse(length:)``.
        /// Bytes before the status word (a part of the answer already sent) are kept.
        case getResponse(length: UInt8, partial: [UInt8])
    }

    /// How the buzzer follows the LED blinking (ACR122U API, "Bi-Color LED and Buzzer Control").
    public enum BuzzerLink: UInt8, Sendable, Hashable {
        case off = 0x00
        case duringT1 = 0x01
        case duringT2 = 0x02
        case duringT1AndT2 = 0x03
    }

    /// The two signals an operator is given: the tap is safely stored, or it was misread.
    public enum Signal: Sendable, Hashable {
        /// Green blink with one beep.
        case accepted
        /// Red blinks with two beeps.
        case misread

        /// The pseudo-APDU for this signal. The LED's steady state is left as it was (no state
        /// mask bits), so the reader returns to its idle colour afterwards.
        public var apdu: [UInt8] {
            switch self {
            case .accepted:
                // Green blinking mask + initial green on; 200 ms on, 100 ms off, once, beep in T1.
                return ACR122UCommand.ledAndBuzzer(ledState: 0xA0, t1: 2, t2: 1, repetitions: 1, buzzer: .duringT1)
            case .misread:
                // Red blinking mask + initial red on; 200 ms on, 200 ms off, twice, beep in T1.
                return ACR122UCommand.ledAndBuzzer(ledState: 0x50, t1: 2, t2: 2, repetitions: 2, buzzer: .duringT1)
            }
        }
    }

    /// The largest PN532 body one Direct Transmit carries: Lc is one byte.
    public static let maxDirectTransmitBody = 0xFF

    /// `FF 00 00 00 Lc` + the PN532 body (`D4 command parameters…`). Nil when the body does not
    /// fit in one short APDU.
    public static func directTransmit(_ frame: PN53xFrame) -> [UInt8]? {
        let body = frame.body
        guard body.count <= maxDirectTransmitBody else { return nil }
        return [0xFF, 0x00, 0x00, 0x00, UInt8(body.count)] + body
    }

    /// `FF 00 48 00 00`: the reader's own firmware version, answered as ASCII (e.g. "ACR122U215").
    public static let firmwareVersion: [UInt8] = [0xFF, 0x00, 0x48, 0x00, 0x00]

    /// The firmware name in the answer to ``firmwareVersion``: its printable ASCII, with a
    /// trailing `90 00` dropped if the reader adds one; nil when there is none.
    public static func firmwareName(of response: [UInt8]) -> String? {
        var bytes = response[...]
        if bytes.count >= 2 && bytes.suffix(2).elementsEqual([0x90, 0x00]) { bytes = bytes.dropLast(2) }
        guard !bytes.isEmpty, bytes.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `FF C0 00 00 xx`: fetch an answer the reader announced with `61 xx`.
    public static func getResponse(length: UInt8) -> [UInt8] {
        [0xFF, 0xC0, 0x00, 0x00, length]
    }

    /// `FF 00 40 P2 04 T1 T2 repetitions link`. `ledState` is P2: bit 0/1 final red/green, bit 2/3
    /// their update masks, bit 4/5 initial red/green blinking state, bit 6/7 red/green blink masks.
    /// T1 and T2 are in units of 100 ms; the buzzer sounds only when `repetitions` is above zero.
    public static func ledAndBuzzer(
        ledState: UInt8,
        t1: UInt8,
        t2: UInt8,
        repetitions: UInt8,
        buzzer: BuzzerLink
    ) -> [UInt8] {
        [0xFF, 0x00, 0x40, ledState, 0x04, t1, t2, repetitions, buzzer.rawValue]
    }

    /// Reads the status word that ends a Direct Transmit or GET RESPONSE answer.
    public static func status(of response: [UInt8]) throws(ACR122UError) -> Status {
        guard response.count >= 2 else { throw .noStatusWord(response.count) }
        let sw1 = response[response.count - 2]
        let sw2 = response[response.count - 1]
        let data = Array(response.dropLast(2))
        switch (sw1, sw2) {
        case (0x90, 0x00): return .complete(data)
        case (0x61, _): return .getResponse(length: sw2, partial: data)
        default: throw .status(sw1, sw2)
        }
    }

    /// Reads the answer to ``ledAndBuzzer(ledState:t1:t2:repetitions:buzzer:)``: `90 xx`, where xx
    /// is the LED state now (bit 0 red, bit 1 green).
    public static func ledState(of response: [UInt8]) throws(ACR122UError) -> UInt8 {
        guard response.count == 2 else { throw .noStatusWord(response.count) }
        guard response[0] == 0x90 else { throw .status(response[0], response[1]) }
        return response[1]
    }
}
