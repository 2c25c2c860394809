import CPCSC
import GatewayCore

/// A tag on a PC/SC reader, connected: the `NFCTransceiver` of the PC/SC backend. The tag is
/// read with the PC/SC part 3 pseudo-APDUs every contactless reader driver answers (`FF CA`
/// for the UID, `FF B0` for pages); the LED and buzzer with the ACR122U's `FF 00 40`, which
/// readers without them refuse (then feedback is skipped).
final class PCSCCard: NFCTransceiver {
    private let handle: SCARDHANDLE
    private let protocolID: DWORD
    let target: NFCTarget
    private let feedback: Bool

    /// Connects to the card in `reader` and reads its UID.
    init(context: SCARDCONTEXT, reader: String, atr: [UInt8], feedback: Bool) throws(NFCTransceiveError) {
        var h: SCARDHANDLE = 0
        var proto: DWORD = 0
        let rv = SCardConnect(
            context,
            reader,
            DWORD(SCARD_SHARE_SHARED),
            DWORD(SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1),
            &h,
            &proto
        )
        guard rv == PCSCLibrary.success else { throw Self.error(rv, "connect") }
        handle = h
        protocolID = proto
        self.feedback = feedback
        let answer: [UInt8]
        do {
            answer = try Self.transmit(h, proto, [0xFF, 0xCA, 0x00, 0x00, 0x00])
        } catch {
            SCardDisconnect(h, DWORD(SCARD_LEAVE_CARD))
            throw error
        }
        guard answer.count >= 2, answer.suffix(2) == [0x90, 0x00], (4...10).contains(answer.count - 2) else {
            SCardDisconnect(h, DWORD(SCARD_LEAVE_CARD))
            throw .tag("the reader did not give the tag's UID (GET DATA answered \(Hex.string(answer.suffix(2))))")
        }
        target = NFCTarget(uid: Array(answer.dropLast(2)), type: PCSCATR.tagType(atr))
    }

    deinit {
        SCardDisconnect(handle, DWORD(SCARD_LEAVE_CARD))
    }

    /// The card this connection holds; PC/SC reports presence to the session itself.
    func targets(timeoutMillis: Int) throws(NFCTransceiveError) -> [NFCTarget] { [target] }

    func read(page: UInt8, of target: NFCTarget) throws(NFCTransceiveError) -> [UInt8] {
        let answer = try Self.transmit(handle, protocolID, [0xFF, 0xB0, 0x00, page, 0x10])
        guard answer.count == 18, answer.suffix(2) == [0x90, 0x00] else {
            if answer.count == 2 && answer[0] == 0x63 { throw .tagGone }
            throw .tag(
                "READ of page \(page) answered \(Hex.string(answer.suffix(2))) with \(max(0, answer.count - 2)) byte(s)"
            )
        }
        return Array(answer.prefix(16))
    }

    func signal(_ signal: ACR122UCommand.Signal) -> Bool {
        guard feedback, let answer = try? Self.transmit(handle, protocolID, signal.apdu) else { return false }
        return answer.first == 0x90
    }

    private static func transmit(
        _ h: SCARDHANDLE,
        _ proto: DWORD,
        _ apdu: [UInt8]
    ) throws(NFCTransceiveError) -> [UInt8] {
        var send = gw_pcsc_pci(proto)
        var out = [UInt8](repeating: 0, count: 258)
        var n = DWORD(out.count)
        let rv = SCardTransmit(h, &send, apdu, DWORD(apdu.count), nil, &out, &n)
        guard rv == PCSCLibrary.success else { throw error(rv, "transmit") }
        // No status word at all: the card went while the command was under way (pcscd answers
        // the interrupted exchange with an empty response, and the next with NOT_TRANSACTED).
        guard n >= 2 else { throw .tagGone }
        return Array(out.prefix(Int(n)))
    }

    private static func error(_ rv: Int, _ what: String) -> NFCTransceiveError {
        if PCSCLibrary.isCardGone(rv) || rv == PCSCLibrary.notTransacted { return .tagGone }
        if PCSCLibrary.isServiceLost(rv) { return .readerGone("pcscd: \(PCSCLibrary.describe(rv))") }
        if rv == PCSCLibrary.unknownReader || rv == PCSCLibrary.readerUnavailable {
            return .readerGone("reader: \(PCSCLibrary.describe(rv))")
        }
        return .reader("PC/SC \(what): \(PCSCLibrary.describe(rv))")
    }
}
