import GatewayCore
import XCTest

/// `NFCTapReader` over a fake backend holding tag memories: what a tap yields for each kind of
/// tag, and that a tag leaving or misbehaving mid-read is a misread, never a partial message.
final class NFCTapReaderTests: XCTestCase {
    /// A backend with one tag in the field whose READs come from `memory` (16 bytes from a page,
    /// wrapping as NTAG does); it leaves after `leavesAfter` READs, or answers READ `badPage`
    /// with a NAK.
    final class FakeBackend: NFCTransceiver {
        var memory: [UInt8]
        var leavesAfter: Int?
        var badPage: UInt8?
        private(set) var pagesRead: [UInt8] = []
        private(set) var signals: [ACR122UCommand.Signal] = []
        var gone = false

        init(memory: [UInt8]) {
            self.memory = memory
        }

        func targets(timeoutMillis: Int) throws(NFCTransceiveError) -> [NFCTarget] { [] }

        func read(page: UInt8, of target: NFCTarget) throws(NFCTransceiveError) -> [UInt8] {
            if gone { throw .readerGone("device unplugged") }
            if let n = leavesAfter, pagesRead.count >= n { throw .tagGone }
            if page == badPage { throw .tag("READ of page \(page) answered NAK 0") }
            pagesRead.append(page)
            return (0..<16).map { memory[(Int(page) * 4 + $0) % memory.count] }
        }

        func signal(_ signal: ACR122UCommand.Signal) -> Bool {
            signals.append(signal)
            return true
        }
    }

    static let uid: [UInt8] = [0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6]

    /// An NTAG memory: UID and lock pages, the CC declaring `dataArea` bytes, `tlvs` from page 4.
    static func ntag(dataArea: Int, tlvs: [UInt8], ccMagic: UInt8 = 0xE1) -> [UInt8] {
        var m = Array(uid.prefix(3)) + [0x88] + Array(uid.suffix(4)) + [0x00, 0x48, 0x00, 0x00]
        m += [ccMagic, 0x10, UInt8(dataArea / 8), 0x00]
        m += tlvs + [UInt8](repeating: 0, count: max(0, dataArea - tlvs.count))
        return m + [UInt8](repeating: 0xEE, count: 20)
    }

    static func uriMessage(_ rest: String, prefix: UInt8 = 0x04) -> [UInt8] {
        let payload = [prefix] + Array(rest.utf8)
        guard payload.count > 0xFF else { return [0xD1, 0x01, UInt8(payload.count), 0x55] + payload }
        // A long record: SR clear, a 4-byte payload length.
        let n = UInt32(payload.count)
        return [0xC1, 0x01, UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF), 0x55]
            + payload
    }

    static func tlv(_ message: [UInt8]) -> [UInt8] {
        message.count < 0xFF
            ? [0x03, UInt8(message.count)] + message + [0xFE]
            : [0x03, 0xFF, UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message + [0xFE]
    }

    let type2 = NFCTarget(uid: uid, type: .type2)

    func testAnNTAGGivesItsMessageAndIsNamedByItsCapabilityContainer() throws {
        let message = Self.uriMessage("id.gs1.org/01/09506000134352/21/ABC123")
        for (size, name) in [(144, NFCTagType.ntag213), (496, .ntag215), (872, .ntag216), (48, .type2)] {
            let fake = FakeBackend(memory: Self.ntag(dataArea: size, tlvs: Self.tlv(message)))
            let (outcome, target) = try NFCTapReader.read(type2, over: fake)
            XCTAssertEqual(outcome, .message(message))
            XCTAssertEqual(target.type, name)
            XCTAssertEqual(target.uid, Self.uid)
            // The CC first, then only the pages the message needs.
            XCTAssertEqual(fake.pagesRead.first, 3)
            XCTAssertLessThanOrEqual(fake.pagesRead.count, 1 + (message.count + 3) / 16 + 1)
        }
    }

    func testALongMessageWithAThreeByteLengthIsReadAcrossManyREADs() throws {
        let message = Self.uriMessage(String(repeating: "x", count: 300))
        let fake = FakeBackend(memory: Self.ntag(dataArea: 496, tlvs: Self.tlv(message)))
        let (outcome, _) = try NFCTapReader.read(type2, over: fake)
        XCTAssertEqual(outcome, .message(message))
        XCTAssertGreaterThan(fake.pagesRead.count, 15)
    }

    func testCardsWithoutReadableDataGiveTheirUIDOnly() throws {
        let fake = FakeBackend(memory: [])
        for type in [NFCTagType.mifareClassic1K, .mifareClassic4K, .mifareMini, .desfire, .isoDEP, .unknown] {
            let (outcome, target) = try NFCTapReader.read(NFCTarget(uid: [1, 2, 3, 4], type: type), over: fake)
            XCTAssertEqual(outcome, .uidOnly)
            XCTAssertEqual(target.type, type)
        }
        XCTAssertEqual(fake.pagesRead, [], "nothing is read from a card whose data is behind keys")
    }

    func testABlankTagIsATapWithoutAMessage() throws {
        for memory in [
            Self.ntag(dataArea: 144, tlvs: [], ccMagic: 0x00),  // not NDEF-formatted
            Self.ntag(dataArea: 144, tlvs: [0xFE]),  // no NDEF TLV
            Self.ntag(dataArea: 144, tlvs: [0x03, 0x00, 0xFE]),  // an empty message
        ] {
            let (outcome, _) = try NFCTapReader.read(type2, over: FakeBackend(memory: memory))
            XCTAssertEqual(outcome, .uidOnly)
        }
    }

    func testATagLiftedMidReadIsATornReadNeverAPartialMessage() throws {
        let message = Self.uriMessage(String(repeating: "y", count: 200))
        for reads in 0..<4 {
            let fake = FakeBackend(memory: Self.ntag(dataArea: 496, tlvs: Self.tlv(message)))
            fake.leavesAfter = reads
            let (outcome, _) = try NFCTapReader.read(type2, over: fake)
            guard case .misread(let why) = outcome else { return XCTFail("\(outcome) after \(reads) reads") }
            XCTAssertTrue(why.hasPrefix("torn read"), why)
        }
    }

    func testACapabilityContainerSmallerThanItsTLVIsAMisread() throws {
        // The TLV claims 100 bytes of a 48-byte data area: never read past what the CC declares.
        let tlvs: [UInt8] = [0x03, 100] + [UInt8](repeating: 0x41, count: 40)
        let fake = FakeBackend(memory: Self.ntag(dataArea: 48, tlvs: tlvs))
        let (outcome, _) = try NFCTapReader.read(type2, over: fake)
        guard case .misread(let why) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertTrue(why.contains("CC smaller than its TLV"), why)
        XCTAssertTrue(fake.pagesRead.allSatisfy { Int($0) * 4 < 16 + 48 }, "\(fake.pagesRead)")
    }

    func testANAKIsAMisreadAndTheReaderGoingAwayIsThrown() throws {
        let message = Self.uriMessage(String(repeating: "z", count: 60))
        let nak = FakeBackend(memory: Self.ntag(dataArea: 144, tlvs: Self.tlv(message)))
        nak.badPage = 7
        let (outcome, _) = try NFCTapReader.read(type2, over: nak)
        XCTAssertEqual(outcome, .misread("READ of page 7 answered NAK 0"))

        let gone = FakeBackend(memory: Self.ntag(dataArea: 144, tlvs: Self.tlv(message)))
        gone.gone = true
        XCTAssertThrowsError(try NFCTapReader.read(type2, over: gone)) {
            XCTAssertEqual($0 as? NFCTransceiveError, .readerGone("device unplugged"))
        }
    }

    func testTheEventCarriesUIDAndTypeInUpperCaseHex() {
        let t = NFCTarget(ISO14443ATarget(uid: Self.uid, atqa: 0x0044, sak: 0x00))
        XCTAssertEqual(t.tap, NFCTap(uid: "04A1B2C3D4E5F6", type: .type2, atqa: "0044", sak: "00"))
        XCTAssertEqual(NFCTarget(uid: [0xDE, 0xAD, 0xBE, 0xEF], type: .mifareClassic1K).tap.atqa, nil)
    }
}
