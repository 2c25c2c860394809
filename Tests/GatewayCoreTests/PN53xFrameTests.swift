import GatewayCore
import XCTest

final class PN53xFrameTests: XCTestCase {
    /// GetFirmwareVersion as libnfc and the PN533 manual show it on the wire.
    func testKnownFramesEncodeAsDocumented() {
        XCTAssertEqual(PN53xFrame.command(0x02).encoded, [0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x02, 0x2A, 0x00])
        // InListPassiveTarget, one target, 106 kbps type A.
        XCTAssertEqual(
            PN53xFrame.command(0x4A, [0x01, 0x00]).encoded,
            [0x00, 0x00, 0xFF, 0x04, 0xFC, 0xD4, 0x4A, 0x01, 0x00, 0xE1, 0x00]
        )
    }

    func testAnswerDecodes() throws {
        // PN533 GetFirmwareVersion answer: IC 0x33, version 2.7, support 0x07.
        let wire: [UInt8] = [0x00, 0x00, 0xFF, 0x06, 0xFA, 0xD5, 0x03, 0x33, 0x02, 0x07, 0x07, 0xE5, 0x00]
        let out = try PN53xFrameDecoder.decode(wire)
        XCTAssertEqual(out, [.frame(.response(to: 0x02, [0x33, 0x02, 0x07, 0x07]))])
        guard case .frame(let f) = out[0] else { return XCTFail() }
        XCTAssertEqual(try f.parameters(answering: 0x02), [0x33, 0x02, 0x07, 0x07])
        XCTAssertThrowsError(try f.parameters(answering: 0x4A)) {
            XCTAssertEqual($0 as? PN53xFrameError, .unexpectedCommand(0x03, expected: 0x4B))
        }
    }

    func testAckNackAndErrorFrame() throws {
        XCTAssertEqual(try PN53xFrameDecoder.decode(PN53xFrame.ack), [.ack])
        XCTAssertEqual(try PN53xFrameDecoder.decode(PN53xFrame.nack), [.nack])
        XCTAssertEqual(try PN53xFrameDecoder.decode(PN53xFrame.applicationError), [.applicationError])
        // An ACK and the answer in one read, as over a serial line.
        let answer = PN53xFrame.response(to: 0x40, [0x00, 0x01]).encoded
        XCTAssertEqual(
            try PN53xFrameDecoder.decode(PN53xFrame.ack + answer),
            [.ack, .frame(.response(to: 0x40, [0x00, 0x01]))]
        )
    }

    func testRoundTripsOverLengthsIncludingExtendedFrames() throws {
        var rng = SplitMix64(seed: 28)
        for length in [0, 1, 2, 15, 16, 252, 253, 254, 255, 256, 264, 300, 1000] {
            let params = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            for frame in [PN53xFrame.command(0x40, params), .response(to: 0x40, params)] {
                let wire = frame.encoded
                // The normal form holds TFI + command + 253 parameter bytes in its one length byte.
                XCTAssertEqual(wire[3] == 0xFF && wire[4] == 0xFF, length + 2 > 255, "length \(length)")
                XCTAssertEqual(try PN53xFrameDecoder.decode(wire, expecting: frame.direction), [.frame(frame)])
            }
        }
    }

    func testExtendedFrameLayout() throws {
        let frame = PN53xFrame.response(to: 0x40, [UInt8](repeating: 0xAB, count: 298))
        let wire = frame.encoded
        XCTAssertEqual(Array(wire.prefix(8)), [0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x01, 0x2C, 0xD3])
        XCTAssertEqual(wire.count, 8 + 300 + 2)
        XCTAssertEqual(wire.last, 0x00)
    }

    func testFramesSplitAcrossTransfersComeOutWhole() throws {
        let stream = PN53xFrame.ack + PN53xFrame.response(to: 0x4A, [0x01, 0x01, 0x00, 0x44, 0x00]).encoded
        for chunk in 1...stream.count {
            var d = PN53xFrameDecoder()
            var out: [PN53xFrameDecoder.Output] = []
            for start in stride(from: 0, to: stream.count, by: chunk) {
                d.feed(stream[start..<min(start + chunk, stream.count)])
                while let o = try d.next() { out.append(o) }
            }
            XCTAssertEqual(out.count, 2, "chunk \(chunk)")
            XCTAssertEqual(d.bufferedCount, 0)
        }
    }

    /// Every single-byte change of a valid frame, at every position and to every other value, is
    /// rejected: no altered frame decodes.
    func testEverySingleByteCorruptionIsRejected() {
        let frames: [[UInt8]] = [
            PN53xFrame.response(to: 0x02, [0x33, 0x02, 0x07, 0x07]).encoded,
            PN53xFrame.response(to: 0x40, []).encoded,
            PN53xFrame.response(to: 0x40, [UInt8](repeating: 0x5A, count: 253)).encoded,
            PN53xFrame.response(to: 0x40, (0..<300).map { UInt8($0 & 0xFF) }).encoded,
            PN53xFrame.ack, PN53xFrame.nack, PN53xFrame.applicationError,
        ]
        var tried = 0
        for valid in frames {
            XCTAssertNoThrow(try PN53xFrameDecoder.decode(valid))
            for position in valid.indices {
                for value in UInt8.min...UInt8.max where value != valid[position] {
                    var bad = valid
                    bad[position] = value
                    tried += 1
                    if let out = try? PN53xFrameDecoder.decode(bad) {
                        XCTFail("byte \(position) = \(value) of \(Hex.string(valid.prefix(8))) decoded as \(out)")
                        return
                    }
                }
            }
        }
        XCTAssertGreaterThan(tried, 150_000)
    }

    func testTypedErrors() {
        func error(_ bytes: [UInt8], _ direction: PN53xFrame.Direction = .chipToHost) -> PN53xFrameError? {
            do {
                _ = try PN53xFrameDecoder.decode(bytes, expecting: direction)
                return nil
            } catch { return error }
        }
        let good = PN53xFrame.response(to: 0x02, [0x33]).encoded
        XCTAssertEqual(error([0x12, 0x34] + good), .garbageBeforePreamble(skipped: 2))
        var lcs = good
        lcs[4] &+= 1
        XCTAssertEqual(error(lcs), .lengthChecksum)
        var dcs = good
        dcs[good.count - 2] &+= 1
        XCTAssertEqual(error(dcs), .dataChecksum)
        var post = good
        post[good.count - 1] = 0x01
        XCTAssertEqual(error(post), .badPostamble(0x01))
        XCTAssertEqual(error(PN53xFrame.command(0x02).encoded), .wrongTFI(0xD4, expected: 0xD5))
        XCTAssertNil(error(PN53xFrame.command(0x02).encoded, .hostToChip))
        XCTAssertEqual(error(Array(good.dropLast(3))), .truncated(have: good.count - 3, need: good.count))
        XCTAssertEqual(error([0x00, 0x00, 0xFF, 0x01, 0xFF, 0xD5, 0x2B, 0x00]), .emptyFrame)
    }

    func testDecoderResynchronisesAfterAnError() throws {
        var d = PN53xFrameDecoder()
        var broken = PN53xFrame.response(to: 0x02, [0x01]).encoded
        broken[broken.count - 2] &+= 1
        d.feed([0xAA] + broken + PN53xFrame.ack)
        XCTAssertThrowsError(try d.next()) {
            XCTAssertEqual($0 as? PN53xFrameError, .garbageBeforePreamble(skipped: 1))
        }
        XCTAssertThrowsError(try d.next()) { XCTAssertEqual($0 as? PN53xFrameError, .dataChecksum) }
        XCTAssertEqual(try d.next(), .ack)
        XCTAssertNil(try d.next())
        // A trailing 00 may start the next preamble and is kept.
        d.feed([0x00])
        XCTAssertNil(try d.next())
        XCTAssertEqual(d.bufferedCount, 1)
        d.reset()
        XCTAssertEqual(d.bufferedCount, 0)
    }
}
