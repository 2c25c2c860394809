import GatewayCore
import XCTest

final class PN53xExchangeTests: XCTestCase {
    let getFirmware = PN53xFrame.command(0x02)
    let firmwareAnswer = PN53xFrame.response(to: 0x02, [0x33, 0x02, 0x07, 0x07])

    func testAckThenAnswer() throws {
        var x = PN53xExchange(command: getFirmware)
        XCTAssertEqual(x.firstMessage, [0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x02, 0x2A, 0x00])
        XCTAssertEqual(try x.receive(PN53xFrame.ack), .read)
        XCTAssertTrue(x.acknowledged)
        XCTAssertEqual(try x.receive(firmwareAnswer.encoded), .done(firmwareAnswer))
        XCTAssertThrowsError(try x.receive(PN53xFrame.ack)) { XCTAssertEqual($0 as? PN53xExchangeError, .finished) }
    }

    /// The ACK and the answer in one transfer, or the answer split over several, come out the same;
    /// so does an answer without its ACK (the PN533 sometimes answers at once).
    func testTransferBoundariesDoNotMatter() throws {
        let stream = PN53xFrame.ack + firmwareAnswer.encoded
        for chunk in 1...stream.count {
            var x = PN53xExchange(command: getFirmware)
            var last: PN53xExchange.Action = .read
            for start in stride(from: 0, to: stream.count, by: chunk) {
                last = try x.receive(stream[start..<min(start + chunk, stream.count)])
                if case .done = last { XCTAssertEqual(start + chunk >= stream.count, true) }
            }
            XCTAssertEqual(last, .done(firmwareAnswer), "chunk \(chunk)")
        }
        var x = PN53xExchange(command: getFirmware)
        XCTAssertEqual(try x.receive(firmwareAnswer.encoded), .done(firmwareAnswer))
    }

    func testChecksumErrorIsAnsweredWithANackAndTheResendAccepted() throws {
        var x = PN53xExchange(command: getFirmware)
        XCTAssertEqual(try x.receive(PN53xFrame.ack), .read)
        var bad = firmwareAnswer.encoded
        bad[bad.count - 2] ^= 0x01  // DCS
        XCTAssertEqual(try x.receive(bad), .send(PN53xFrame.nack))
        XCTAssertEqual(x.nacksSent, 1)
        XCTAssertEqual(try x.receive(firmwareAnswer.encoded), .done(firmwareAnswer))
    }

    func testChipNackMakesTheHostResendTheCommand() throws {
        var x = PN53xExchange(command: getFirmware)
        XCTAssertEqual(try x.receive(PN53xFrame.nack), .send(x.firstMessage))
        XCTAssertEqual(x.resends, 1)
        XCTAssertEqual(try x.receive(PN53xFrame.ack + firmwareAnswer.encoded), .done(firmwareAnswer))
    }

    func testRetriesAreBounded() throws {
        var x = PN53xExchange(command: getFirmware, maxRetries: 2)
        var bad = firmwareAnswer.encoded
        bad[6] ^= 0xFF
        XCTAssertEqual(try x.receive(bad), .send(PN53xFrame.nack))
        XCTAssertEqual(try x.receive(bad), .send(PN53xFrame.nack))
        XCTAssertThrowsError(try x.receive(bad)) {
            XCTAssertEqual($0 as? PN53xExchangeError, .corruptAnswers(.dataChecksum, nacks: 2))
        }
        var y = PN53xExchange(command: getFirmware, maxRetries: 1)
        XCTAssertEqual(try y.receive(PN53xFrame.nack), .send(y.firstMessage))
        XCTAssertThrowsError(try y.receive(PN53xFrame.nack)) {
            XCTAssertEqual($0 as? PN53xExchangeError, .commandRejected(times: 2))
        }
    }

    func testTimeouts() throws {
        var silent = PN53xExchange(command: getFirmware)
        XCTAssertThrowsError(try silent.timedOut()) {
            XCTAssertEqual($0 as? PN53xExchangeError, .noAnswer(acknowledged: false))
        }
        var acked = PN53xExchange(command: getFirmware)
        _ = try acked.receive(PN53xFrame.ack)
        XCTAssertThrowsError(try acked.timedOut()) {
            XCTAssertEqual($0 as? PN53xExchangeError, .noAnswer(acknowledged: true))
        }
        // Half a frame and then nothing: ask for it again.
        var half = PN53xExchange(command: getFirmware)
        XCTAssertEqual(try half.receive(firmwareAnswer.encoded.prefix(7)), .read)
        XCTAssertEqual(try half.timedOut(), .send(PN53xFrame.nack))
        XCTAssertEqual(try half.receive(firmwareAnswer.encoded), .done(firmwareAnswer))
    }

    func testErrorsThatAResendDoesNotCure() {
        var x = PN53xExchange(command: getFirmware)
        XCTAssertThrowsError(try x.receive(PN53xFrame.applicationError)) {
            XCTAssertEqual($0 as? PN53xExchangeError, .syntaxError)
        }
        var y = PN53xExchange(command: getFirmware)
        XCTAssertThrowsError(try y.receive(PN53xFrame.response(to: 0x4A, [0x00]).encoded)) {
            XCTAssertEqual($0 as? PN53xExchangeError, .unexpected(.unexpectedCommand(0x4B, expected: 0x03)))
        }
        var z = PN53xExchange(command: getFirmware)
        XCTAssertThrowsError(try z.receive(PN53xFrame.command(0x02).encoded)) {
            XCTAssertEqual($0 as? PN53xExchangeError, .unexpected(.wrongTFI(0xD4, expected: 0xD5)))
        }
    }

    /// Every single-byte change of the answer, at every position and to every other value, never
    /// completes the exchange: it is NACKed at once, or (a broken preamble) waited for and NACKed
    /// on the timeout; the resent answer then completes it unchanged.
    func testEverySingleByteCorruptionIsNackedAndRecovered() throws {
        let answers = [
            firmwareAnswer,
            PN53xFrame.response(to: 0x02, Array(repeating: 0x5A, count: 300)),  // extended
        ]
        for answer in answers {
            let wire = answer.encoded
            for i in wire.indices {
                for v in UInt8.min...UInt8.max where v != wire[i] {
                    var bad = wire
                    bad[i] = v
                    var x = PN53xExchange(command: getFirmware)
                    _ = try x.receive(PN53xFrame.ack)
                    var action = try x.receive(bad)
                    if action == .read { action = try x.timedOut() }
                    XCTAssertEqual(action, .send(PN53xFrame.nack), "byte \(i) = \(v)")
                    XCTAssertEqual(try x.receive(wire), .done(answer), "byte \(i) = \(v)")
                }
            }
        }
    }

    /// Round trip over body lengths, normal and extended frames, with a NACK in between.
    func testRoundTripsOverLengths() throws {
        var rng = SplitMix64(seed: 53)
        for length in [0, 1, 16, 252, 253, 254, 255, 300, 600] {
            let params = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let answer = PN53xFrame.response(to: 0x40, params)
            var x = PN53xExchange(command: .command(0x40, [0x01, 0x30, 0x04]))
            XCTAssertEqual(try x.receive(PN53xFrame.ack), .read)
            var torn = answer.encoded
            torn[torn.count / 2] &+= 1
            XCTAssertEqual(try x.receive(torn), .send(PN53xFrame.nack), "length \(length)")
            XCTAssertEqual(try x.receive(answer.encoded), .done(answer), "length \(length)")
        }
    }
}
