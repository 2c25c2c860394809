import GatewayCore
import XCTest

/// A PN53x chip behind a fake link: answers the commands `PN53xInitiator` sends from a tag
/// memory, and records them.
final class FakePN53xChip: PN53xLink {
    var firmware: [UInt8] = [0x33, 0x02, 0x07, 0x07]
    /// What each poll finds, in turn (then nothing): the parameters of InListPassiveTarget's answer.
    var polls: [[UInt8]] = []
    /// The tag memory, page by page (4 bytes each), for READ.
    var memory: [UInt8] = []
    /// READs of these pages answer with this status instead of data.
    var readStatus: [UInt8: UInt8] = [:]
    /// The link fails with this on the READ of this page.
    var linkFailure: (page: UInt8, error: NFCTransceiveError)?
    var leds: [ACR122UCommand.Signal] = []
    var hasLEDs = false
    private(set) var sent: [PN53xFrame] = []

    func exchange(_ command: PN53xFrame, timeoutMillis: Int) throws(NFCTransceiveError) -> PN53xFrame {
        sent.append(command)
        let p = command.parameters
        switch command.command {
        case 0x02: return .response(to: 0x02, firmware)
        case 0x14, 0x32: return .response(to: command.command)
        case 0x52: return .response(to: 0x52, [0x00])
        case 0x4A: return .response(to: 0x4A, polls.isEmpty ? [0x00] : polls.removeFirst())
        case 0x40:
            let page = p[2]
            if let f = linkFailure, f.page == page { throw f.error }
            if let s = readStatus[page] { return .response(to: 0x40, [s]) }
            let start = Int(page) * 4
            var data = Array(memory[min(start, memory.count)..<min(start + 16, memory.count)])
            data += [UInt8](repeating: 0, count: 16 - data.count)
            return .response(to: 0x40, [0x00] + data)
        default:
            return .response(to: command.command)
        }
    }

    func signal(_ signal: ACR122UCommand.Signal) -> Bool {
        guard hasLEDs else { return false }
        leds.append(signal)
        return true
    }
}

final class PN53xInitiatorTests: XCTestCase {
    let uid: [UInt8] = [0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0x80]
    var poll: [UInt8] { [0x01, 0x01, 0x00, 0x44, 0x00, 0x07] + uid }

    /// An NTAG215's first pages: UID and lock bytes, CC `E1 10 3E 00`, then an NDEF URI record.
    func ntag(message: [UInt8]) -> [UInt8] {
        var m: [UInt8] = Array(uid.prefix(3)) + [0x88] + Array(uid.suffix(4)) + [0x00, 0x48, 0x00, 0x00]
        m += [0xE1, 0x10, 0x3E, 0x00]
        m += [0x03, UInt8(message.count)] + message + [0xFE]
        return m + [UInt8](repeating: 0, count: 64)
    }

    func testOpenResyncsAndBoundsThePoll() throws {
        let chip = FakePN53xChip()
        let reader = PN53xInitiator(link: chip)
        XCTAssertEqual(try reader.open().description, "PN533 v2.7")
        XCTAssertEqual(chip.sent, [.command(0x02), .command(0x32, [0x05, 0x00, 0x01, 0x02])])
        // A PN532 (an ACR122U's chip) is put in normal mode first.
        let acr = FakePN53xChip()
        acr.firmware = [0x32, 0x01, 0x06, 0x07]
        XCTAssertEqual(try PN53xInitiator(link: acr).open().description, "PN532 v1.6")
        XCTAssertEqual(acr.sent.map(\.command), [0x02, 0x14, 0x32])
        let odd = FakePN53xChip()
        odd.firmware = [0x01]
        XCTAssertThrowsError(try PN53xInitiator(link: odd).open())
    }

    func testPollReadAndReleaseBeforeTheNextPoll() throws {
        let chip = FakePN53xChip()
        let uri: [UInt8] = [0xD1, 0x01, 0x0C, 0x55, 0x04] + Array("example.com".utf8)
        chip.memory = ntag(message: uri)
        chip.polls = [poll, poll]
        let reader = PN53xInitiator(link: chip)
        _ = try reader.open()
        let found = try reader.targets(timeoutMillis: 200)
        XCTAssertEqual(found, [NFCTarget(uid: uid, type: .type2, atqa: 0x0044, sak: 0x00)])
        XCTAssertEqual(chip.sent.last, .command(0x4A, [0x02, 0x00]))
        let (outcome, target) = try NFCTapReader.read(found[0], over: reader)
        XCTAssertEqual(outcome, .message(uri))
        XCTAssertEqual(target.type, .ntag215)
        XCTAssertEqual(
            chip.sent.filter { $0.command == 0x40 }.map(\.parameters),
            [[0x01, 0x30, 0x03], [0x01, 0x30, 0x07]]
        )
        // The next poll releases the listed tag first; the tag still in the field is listed again.
        XCTAssertEqual(try reader.targets(timeoutMillis: 200).map(\.uid), [uid])
        XCTAssertEqual(Array(chip.sent.suffix(2)), [.command(0x52, [0x00]), .command(0x4A, [0x02, 0x00])])
        // Nothing listed: no release before the poll.
        XCTAssertEqual(try reader.targets(timeoutMillis: 200), [])
        XCTAssertEqual(try reader.targets(timeoutMillis: 200), [])
        XCTAssertEqual(Array(chip.sent.suffix(3).map(\.command)), [0x52, 0x4A, 0x4A])
    }

    func testTwoTagsAreAddressedByTheirOwnNumbers() throws {
        let chip = FakePN53xChip()
        chip.memory = ntag(message: [0xD0, 0x00, 0x00])
        let other: [UInt8] = [1, 2, 3, 4]
        chip.polls = [[0x02, 0x01, 0x00, 0x44, 0x00, 0x07] + uid + [0x02, 0x00, 0x04, 0x08, 0x04] + other]
        let reader = PN53xInitiator(link: chip)
        let found = try reader.targets(timeoutMillis: 200)
        XCTAssertEqual(found.map(\.type), [.type2, .mifareClassic1K])
        _ = try reader.read(page: 3, of: found[0])
        XCTAssertEqual(chip.sent.last?.parameters.first, 1)
        XCTAssertThrowsError(try reader.read(page: 3, of: NFCTarget(uid: [9, 9, 9, 9], type: .type2))) {
            XCTAssertEqual($0 as? NFCTransceiveError, .tagGone)
        }
    }

    func testReadStatusesAndNaks() throws {
        let chip = FakePN53xChip()
        chip.memory = ntag(message: [0xD0, 0x00, 0x00])
        chip.polls = [poll]
        chip.readStatus = [3: 0x01, 7: 0x02, 11: 0x2B]
        let reader = PN53xInitiator(link: chip)
        let t = try reader.targets(timeoutMillis: 200)[0]
        XCTAssertThrowsError(try reader.read(page: 3, of: t)) { XCTAssertEqual($0 as? NFCTransceiveError, .tagGone) }
        XCTAssertThrowsError(try reader.read(page: 11, of: t)) { XCTAssertEqual($0 as? NFCTransceiveError, .tagGone) }
        XCTAssertThrowsError(try reader.read(page: 7, of: t)) {
            XCTAssertEqual($0 as? NFCTransceiveError, .tag("READ of page 7 failed: CRC error (status 0x2)"))
        }
        // A NAK: one status byte and a 4-bit answer instead of 16 bytes.
        chip.readStatus = [:]
        chip.memory = []
        let short = FakePN53xChip()
        short.polls = [poll]
        let r2 = PN53xInitiator(link: short)
        let t2 = try r2.targets(timeoutMillis: 200)[0]
        short.readStatus = [4: 0x00]
        XCTAssertThrowsError(try r2.read(page: 4, of: t2)) {
            guard case .tag(let why) = $0 as? NFCTransceiveError else { return XCTFail("\($0)") }
            XCTAssertTrue(why.contains("0 byte(s)"), why)
        }
    }

    /// The reader going away mid-read is a torn read for the tap, and the fault is kept for the
    /// session; a link failure mid-read is a misread with the reason.
    func testReaderFailureDuringAReadIsReportedToTheTap() throws {
        let chip = FakePN53xChip()
        chip.memory = ntag(message: [0xD1, 0x01, 0x30, 0x55, 0x04] + Array(repeating: 0x61, count: 0x2F))
        chip.polls = [poll, poll]
        chip.linkFailure = (7, .readerGone("LIBUSB_ERROR_NO_DEVICE"))
        let reader = PN53xInitiator(link: chip)
        var t = try reader.targets(timeoutMillis: 200)[0]
        let (outcome, _) = try NFCTapReader.read(t, over: reader)
        guard case .misread(let why) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertTrue(why.contains("torn"), why)
        XCTAssertEqual(reader.fault, .readerGone("LIBUSB_ERROR_NO_DEVICE"))

        chip.linkFailure = (7, .reader("corrupt answers"))
        t = try reader.targets(timeoutMillis: 200)[0]
        XCTAssertNil(reader.fault)
        let (again, _) = try NFCTapReader.read(t, over: reader)
        XCTAssertEqual(again, .misread("the reader failed during the read: corrupt answers"))
        XCTAssertEqual(reader.fault, .reader("corrupt answers"))
    }

    func testGarbledPollAnswerIsATagError() {
        let chip = FakePN53xChip()
        chip.polls = [[0x01, 0x01, 0x00, 0x44]]
        XCTAssertThrowsError(try PN53xInitiator(link: chip).targets(timeoutMillis: 200)) {
            guard case .tag = $0 as? NFCTransceiveError else { return XCTFail("\($0)") }
        }
    }

    func testSignalGoesToTheReader() {
        let chip = FakePN53xChip()
        XCTAssertFalse(PN53xInitiator(link: chip).signal(.accepted))
        chip.hasLEDs = true
        XCTAssertTrue(PN53xInitiator(link: chip).signal(.misread))
        XCTAssertEqual(chip.leds, [.misread])
    }

    func testFirmwareAnswers() throws {
        XCTAssertEqual(try PN53xFirmware(answer: [0x04, 0x02]).description, "PN531 v4.2")
        XCTAssertNil(try PN53xFirmware(answer: [0x04, 0x02]).support)
        XCTAssertTrue(try PN53xFirmware(answer: [0x32, 0x01, 0x06, 0x07]).isPN532)
        XCTAssertEqual(ACR122UCommand.firmwareName(of: Array("ACR122U215".utf8)), "ACR122U215")
        XCTAssertEqual(ACR122UCommand.firmwareName(of: Array("ACR122U215".utf8) + [0x90, 0x00]), "ACR122U215")
        XCTAssertNil(ACR122UCommand.firmwareName(of: [0x63, 0x00]))
        XCTAssertEqual(CCIDMessage.iccPowerOn(sequence: 5), [0x62, 0, 0, 0, 0, 0, 5, 0, 0, 0])
    }
}
