import GatewayCore
import XCTest

final class ACR122UExchangeTests: XCTestCase {
    /// A reader's data block as the ACR122U sends it: slot 0, status 0 (command processed, card
    /// active), no error.
    func dataBlock(_ data: [UInt8], sequence: UInt8, status: UInt8 = 0, error: UInt8 = 0) -> [UInt8] {
        let n = UInt32(data.count)
        return [0x80, UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24), 0, sequence]
            + [status, error, 0] + data
    }

    func testXfrBlockHeader() {
        let apdu = ACR122UCommand.directTransmit(.command(0x4A, [0x01, 0x00]))
        XCTAssertEqual(apdu, [0xFF, 0x00, 0x00, 0x00, 0x04, 0xD4, 0x4A, 0x01, 0x00])
        let m = CCIDMessage.xfrBlock(apdu!, slot: 0, sequence: 7, bwi: 0, levelParameter: 0x0102)
        XCTAssertEqual(Array(m.prefix(10)), [0x6F, 0x09, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x02, 0x01])
        XCTAssertEqual(Array(m.dropFirst(10)), apdu)
        XCTAssertEqual(CCIDMessage.length(ofMessageStartingWith: m.prefix(5)), m.count)
        XCTAssertNil(CCIDMessage.length(ofMessageStartingWith: m.prefix(4)))
        let long = [UInt8](repeating: 0, count: 300)
        let big = CCIDMessage.xfrBlock(long, sequence: 0)
        XCTAssertEqual(Array(big[1...4]), [0x2C, 0x01, 0x00, 0x00])
        XCTAssertNil(ACR122UCommand.directTransmit(.command(0x40, [UInt8](repeating: 0, count: 254))))
        XCTAssertNotNil(ACR122UCommand.directTransmit(.command(0x40, [UInt8](repeating: 0, count: 253))))
    }

    func testDataBlockParsing() throws {
        XCTAssertEqual(
            try CCIDMessage.parseDataBlock(dataBlock([0x90, 0x00], sequence: 3), sequence: 3),
            .data([0x90, 0x00])
        )
        XCTAssertEqual(
            try CCIDMessage.parseDataBlock(dataBlock([], sequence: 3, status: 0x80, error: 0x02), sequence: 3),
            .timeExtension(multiplier: 2)
        )
        func error(_ b: [UInt8], _ seq: UInt8 = 3) -> CCIDError? {
            do {
                _ = try CCIDMessage.parseDataBlock(b, sequence: seq)
                return nil
            } catch { return error }
        }
        let ok = dataBlock([0x90, 0x00], sequence: 3)
        XCTAssertEqual(error(ok, 4), .sequenceMismatch(3, expected: 4))
        XCTAssertEqual(error(Array(ok.dropLast())), .truncated(have: 11, need: 12))
        XCTAssertEqual(error(Array(ok.prefix(6))), .truncated(have: 6, need: 10))
        XCTAssertEqual(error(ok + [0]), .trailingBytes(1))
        var slotStatus = ok
        slotStatus[0] = 0x81
        XCTAssertEqual(error(slotStatus), .unexpectedMessageType(0x81))
        XCTAssertEqual(
            error(dataBlock([], sequence: 3, status: 0x42, error: 0xFE)),
            .commandFailed(error: 0xFE, icc: .absent)
        )
        XCTAssertTrue(error(dataBlock([], sequence: 3, status: 0x41, error: 0xFE))!.description.contains("ICC_MUTE"))
        XCTAssertEqual(error(dataBlock([], sequence: 3, status: 0xC0)), .reservedStatus(0xC0))
        var chained = ok
        chained[9] = 0x01
        XCTAssertEqual(error(chained), .chainedBlock(0x01))
    }

    /// The ACR122U announces the PN532 answer with 61 xx; GET RESPONSE fetches it with 90 00.
    func testExchangeWithGetResponseChaining() throws {
        let read = PN53xFrame.command(0x40, [0x01, 0x30, 0x04])
        var x = try ACR122UExchange(command: read, sequence: 9)
        XCTAssertEqual(
            x.firstMessage,
            [0x6F, 0x0A, 0, 0, 0, 0, 9, 0, 0, 0, 0xFF, 0x00, 0x00, 0x00, 0x05, 0xD4, 0x40, 0x01, 0x30, 0x04]
        )
        let pages = [UInt8](0..<16)
        let answer = PN53xFrame.response(to: 0x40, [0x00] + pages).body
        XCTAssertEqual(try x.receive(dataBlock([], sequence: 9, status: 0x80, error: 1)), .readAgain)
        let next = try x.receive(dataBlock([0x61, UInt8(answer.count + 2)], sequence: 9))
        XCTAssertEqual(next, .send([0x6F, 5, 0, 0, 0, 0, 10, 0, 0, 0, 0xFF, 0xC0, 0x00, 0x00, 0x15]))
        XCTAssertEqual(x.sequence, 10)
        let done = try x.receive(dataBlock(answer + [0x90, 0x00], sequence: 10))
        XCTAssertEqual(done, .done(.response(to: 0x40, [0x00] + pages)))
        XCTAssertThrowsError(try x.receive(dataBlock([0x90, 0x00], sequence: 10))) {
            XCTAssertEqual($0 as? ACR122UError, .exchangeFinished)
        }
    }

    func testExchangeWithoutChaining() throws {
        var x = try ACR122UExchange(command: .command(0x02), sequence: 255)
        let fw = PN53xFrame.response(to: 0x02, [0x32, 0x01, 0x06, 0x07]).body
        XCTAssertEqual(
            try x.receive(dataBlock(fw + [0x90, 0x00], sequence: 255)),
            .done(.response(to: 0x02, [0x32, 0x01, 0x06, 0x07]))
        )
    }

    func testExchangeErrorsAreTyped() throws {
        func fail(_ reply: [UInt8], command: UInt8 = 0x4A) -> ACR122UError? {
            do {
                var x = try ACR122UExchange(command: .command(command, [0x01, 0x00]), sequence: 1)
                _ = try x.receive(reply)
                return nil
            } catch { return error }
        }
        XCTAssertEqual(fail(dataBlock([0x63, 0x00], sequence: 1)), .status(0x63, 0x00))
        XCTAssertEqual(fail(dataBlock([0x90], sequence: 1)), .noStatusWord(1))
        XCTAssertEqual(fail(dataBlock([0x90, 0x00], sequence: 2)), .ccid(.sequenceMismatch(2, expected: 1)))
        XCTAssertEqual(fail(dataBlock([0x7F, 0x90, 0x00], sequence: 1)), .chipSyntaxError)
        XCTAssertEqual(
            fail(dataBlock([0xD5, 0x03, 0x90, 0x00], sequence: 1)),
            .frame(.unexpectedCommand(0x03, expected: 0x4B))
        )
        XCTAssertEqual(fail(dataBlock([0xD4, 0x4B, 0x90, 0x00], sequence: 1)), .frame(.wrongTFI(0xD4, expected: 0xD5)))
        XCTAssertThrowsError(
            try ACR122UExchange(command: .command(0x40, [UInt8](repeating: 0, count: 254)), sequence: 0)
        ) {
            XCTAssertEqual($0 as? ACR122UError, .commandTooLong(256))
        }
        // A reader that keeps announcing more data is given up on.
        var x = try ACR122UExchange(command: .command(0x02), sequence: 0)
        var seq: UInt8 = 0
        XCTAssertThrowsError(
            try {
                while true {
                    _ = try x.receive(dataBlock([0x61, 0x10], sequence: seq))
                    seq &+= 1
                }
            }()
        ) { XCTAssertEqual($0 as? ACR122UError, .tooManyGetResponses) }
        XCTAssertEqual(seq, 4)
    }

    func testLEDAndBuzzerSignals() throws {
        XCTAssertEqual(ACR122UCommand.Signal.accepted.apdu, [0xFF, 0x00, 0x40, 0xA0, 0x04, 0x02, 0x01, 0x01, 0x01])
        XCTAssertEqual(ACR122UCommand.Signal.misread.apdu, [0xFF, 0x00, 0x40, 0x50, 0x04, 0x02, 0x02, 0x02, 0x01])
        // The green signal touches only green bits, the red one only red bits (red = bits 0, 2, 4, 6).
        XCTAssertEqual(ACR122UCommand.Signal.accepted.apdu[3] & 0x55, 0)
        XCTAssertEqual(ACR122UCommand.Signal.misread.apdu[3] & 0xAA, 0)
        XCTAssertEqual(try ACR122UCommand.ledState(of: [0x90, 0x02]), 0x02)
        XCTAssertThrowsError(try ACR122UCommand.ledState(of: [0x63, 0x00])) {
            XCTAssertEqual($0 as? ACR122UError, .status(0x63, 0x00))
        }
        XCTAssertEqual(ACR122UCommand.getResponse(length: 0x15), [0xFF, 0xC0, 0x00, 0x00, 0x15])
    }
}
