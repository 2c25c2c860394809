import GatewayCore
import XCTest

final class Type2TagReaderTests: XCTestCase {
    /// A Type 2 tag's memory as READ sees it: 16 bytes from a page on, wrapping at the end as NTAG
    /// does.
    struct Tag {
        var memory: [UInt8]

        /// UID and lock pages, the CC for `dataArea` bytes, then `tlvs` from page 4, zero-filled.
        init(dataArea: Int, tlvs: [UInt8], ccMagic: UInt8 = 0xE1, ccVersion: UInt8 = 0x10, trailer: Int = 20) {
            memory = [0x04, 0x11, 0x22, 0xB7, 0x33, 0x44, 0x55, 0x66, 0x00, 0x48, 0x00, 0x00]
            memory += [ccMagic, ccVersion, UInt8(dataArea / 8), 0x00]
            memory += tlvs + [UInt8](repeating: 0, count: max(0, dataArea - tlvs.count))
            // Dynamic lock bytes and configuration pages after the data area.
            memory += [UInt8](repeating: 0xEE, count: trailer)
        }

        func read(_ page: UInt8) -> [UInt8] {
            (0..<16).map { memory[(Int(page) * 4 + $0) % memory.count] }
        }
    }

    /// Reads `tag` as a driver would; the pages asked for are returned with the result.
    func readAll(_ tag: Tag) -> (Result<[UInt8], Type2TagError>, [UInt8]) {
        var reader = Type2TagReader()
        var step = reader.firstStep
        var pages: [UInt8] = []
        while case .read(let page) = step {
            pages.append(page)
            do {
                step = try reader.receive(tag.read(page))
            } catch {
                return (.failure(error), pages)
            }
        }
        guard case .done(let message) = step else { fatalError() }
        return (.success(message), pages)
    }

    func ndefTLV(_ message: [UInt8]) -> [UInt8] {
        message.count < 0xFF
            ? [0x03, UInt8(message.count)] + message
            : [0x03, 0xFF, UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
    }

    /// One short record; `first`/`last` set MB/ME.
    func record(_ type: Character, _ payload: [UInt8], first: Bool, last: Bool) -> [UInt8] {
        let header: UInt8 = 0x11 | (first ? 0x80 : 0) | (last ? 0x40 : 0)
        return [header, 0x01, UInt8(payload.count), type.asciiValue!] + payload
    }

    func testURITextAndDigitalLinkComeOutOfTheNDEFDecoder() throws {
        let message =
            record("U", [0x04] + Array("example.com/kiosk".utf8), first: true, last: false)
            + record("T", [0x02] + Array("en".utf8) + Array("Claim 4711".utf8), first: false, last: false)
            + record("U", [0x04] + Array("id.gs1.org/01/09506000134352/10/ABC".utf8), first: false, last: true)
        // NTAG213: 144 bytes of data area; a lock control TLV first, as NXP formats it.
        let tag = Tag(dataArea: 144, tlvs: [0x01, 0x03, 0xA0, 0x0C, 0x34] + ndefTLV(message) + [0xFE])
        let (result, pages) = readAll(tag)
        XCTAssertEqual(try result.get(), message)
        // 5 + 2 + 79 bytes from page 4 on: the CC read (pages 3-6) brings 12 of them, five more
        // READs the rest; nothing beyond is read.
        XCTAssertEqual(pages, [3, 7, 11, 15, 19, 23])
        let records = try NDEFMessage.parse(try result.get())
        XCTAssertEqual(
            records.map(\.uri),
            ["https://example.com/kiosk", nil, "https://id.gs1.org/01/09506000134352/10/ABC"]
        )
        XCTAssertEqual(records[1].text, "Claim 4711")
        XCTAssertEqual(records[1].language, "en")
        let dl = try GS1DigitalLink.parse(records[2].uri!, referenceYear: 2026)
        XCTAssertEqual(dl.map(\.ai), ["01", "10"])
        XCTAssertEqual(dl.first?.value, "09506000134352")
    }

    func testThreeByteLengthAcrossManyReads() throws {
        let text = [UInt8](repeating: 0x41, count: 600)
        // A long (not short) Text record: 4-byte payload length.
        let payload = [0x02] + Array("en".utf8) + text
        let n = payload.count
        let long: [UInt8] = [0xC1, 0x01, 0, 0, UInt8(n >> 8), UInt8(n & 0xFF), 0x54] + payload
        let tlvs = ndefTLV(long)
        XCTAssertEqual(Array(tlvs.prefix(2)), [0x03, 0xFF])
        // NTAG216: 872 bytes.
        let (result, pages) = readAll(Tag(dataArea: 872, tlvs: tlvs + [0xFE]))
        XCTAssertEqual(try result.get(), long)
        XCTAssertEqual(pages.count, 1 + (tlvs.count - 12 + 15) / 16)
        XCTAssertEqual(try NDEFMessage.parse(try result.get()).first?.text?.count, 600)
    }

    func testNullAndControlTLVsAreSkippedByTheirLength() throws {
        let message = record("U", [0x03] + Array("a.example/".utf8), first: true, last: true)
        let tlvs: [UInt8] =
            [
                0x00, 0x00, 0x01, 0x03, 0xA0, 0x10, 0x44, 0x02, 0x03, 0x00, 0x00, 0x00, 0xFD, 0xFF, 0x00, 0x02, 0x03,
                0x03,
            ]
            + ndefTLV(message)
        let (result, _) = readAll(Tag(dataArea: 48, tlvs: tlvs))
        XCTAssertEqual(try result.get(), message)
        // The 0x03 bytes inside the proprietary TLV are its value, not an NDEF TLV.
        XCTAssertEqual(try NDEFMessage.parse(try result.get()).first?.uri, "http://a.example/")
    }

    func testEmptyNDEFAndMissingTerminator() throws {
        XCTAssertEqual(try readAll(Tag(dataArea: 48, tlvs: [0x03, 0x00, 0xFE])).0.get(), [])
        // No terminator after the NDEF TLV: the message is complete at its length, nothing more is read.
        let message = record("U", [0x01] + Array("x.org".utf8), first: true, last: true)
        var tlvs = ndefTLV(message)
        let (result, pages) = readAll(Tag(dataArea: 48, tlvs: tlvs))
        XCTAssertEqual(try result.get(), message)
        XCTAssertEqual(pages, [3])
        // Neither NDEF nor terminator: the walk ends at the data area's end.
        tlvs = [UInt8](repeating: 0x00, count: 48)
        let (none, nonePages) = readAll(Tag(dataArea: 48, tlvs: tlvs))
        XCTAssertEqual(none.failure, .noNDEFMessage)
        XCTAssertEqual(nonePages, [3, 7, 11, 15])
        // A terminator first.
        XCTAssertEqual(readAll(Tag(dataArea: 48, tlvs: [0x00, 0xFE, 0x03, 0x00])).0.failure, .noNDEFMessage)
    }

    func testTLVsClaimingMoreThanTheCCDeclaresAreRejected() {
        // 48-byte area; an NDEF TLV of 47 bytes needs 49.
        let (r, pages) = readAll(Tag(dataArea: 48, tlvs: [0x03, 47] + [UInt8](repeating: 0xD1, count: 47)))
        XCTAssertEqual(r.failure, .tlvBeyondDataArea(tlv: 0x03, end: 49, size: 48))
        XCTAssertTrue(r.failure!.description.contains("CC smaller than its TLV"))
        // Found from the header alone: nothing past the CC read is asked for.
        XCTAssertEqual(pages, [3])
        XCTAssertEqual(
            readAll(Tag(dataArea: 48, tlvs: [0x01, 0xFF, 0x01, 0x00])).0.failure,
            .tlvBeyondDataArea(tlv: 0x01, end: 260, size: 48)
        )
        // A length field cut by the end of the area.
        var tlvs = [UInt8](repeating: 0x00, count: 47) + [0x03]
        XCTAssertEqual(
            readAll(Tag(dataArea: 48, tlvs: tlvs)).0.failure,
            .tlvBeyondDataArea(tlv: 0x03, end: 49, size: 48)
        )
        tlvs = [UInt8](repeating: 0x00, count: 46) + [0x03, 0xFF]
        XCTAssertEqual(
            readAll(Tag(dataArea: 48, tlvs: tlvs)).0.failure,
            .tlvBeyondDataArea(tlv: 0x03, end: 50, size: 48)
        )
        // The bytes just after the area (0xEE here) never count, however the TLV ends.
        tlvs = [UInt8](repeating: 0x00, count: 44) + [0x03, 0x02, 0xD1, 0x00]
        XCTAssertEqual(try readAll(Tag(dataArea: 48, tlvs: tlvs)).0.get(), [0xD1, 0x00])
    }

    func testCapabilityContainerIsChecked() {
        XCTAssertEqual(readAll(Tag(dataArea: 48, tlvs: [], ccMagic: 0x00)).0.failure, .notNDEFFormatted(magic: 0x00))
        XCTAssertEqual(readAll(Tag(dataArea: 48, tlvs: [], ccVersion: 0x20)).0.failure, .unsupportedVersion(0x20))
        XCTAssertEqual(readAll(Tag(dataArea: 0, tlvs: [])).0.failure, .emptyDataArea)
        XCTAssertEqual(try Type2CapabilityContainer(page: [0xE1, 0x11, 0x3E, 0x00]).dataAreaSize, 496)
        XCTAssertEqual(Type2CapabilityContainer(dataAreaSize: 144).bytes, [0xE1, 0x10, 0x12, 0x00])
    }

    func testShortReadsTornReadsAndFinishedReaders() throws {
        var reader = Type2TagReader()
        XCTAssertThrowsError(try reader.receive([0x0A])) { XCTAssertEqual($0 as? Type2TagError, .shortRead(1)) }
        XCTAssertThrowsError(try reader.receive([UInt8](repeating: 0, count: 16))) {
            XCTAssertEqual($0 as? Type2TagError, .finished)
        }
        // Lifted after the first READ of a message that needs three.
        let message = [UInt8](repeating: 0x55, count: 40)
        let tag = Tag(dataArea: 144, tlvs: ndefTLV(message))
        reader = Type2TagReader()
        XCTAssertEqual(try reader.receive(tag.read(3)), .read(page: 7))
        XCTAssertEqual(reader.capabilityContainer?.dataAreaSize, 144)
        XCTAssertEqual(reader.interrupted(), .tornRead(bytesRead: 12))
        XCTAssertThrowsError(try reader.receive(tag.read(7))) { XCTAssertEqual($0 as? Type2TagError, .finished) }
    }

    func testPagesPastTheFirstSectorAreRefused() {
        // 2040 bytes declared, the NDEF TLV claims 1500: READs go 3, 7, … 255, then 259.
        let tlvs: [UInt8] = [0x03, 0xFF, 0x05, 0xDC] + [UInt8](repeating: 0x00, count: 1500)
        XCTAssertEqual(readAll(Tag(dataArea: 2040, tlvs: tlvs)).0.failure, .pageOutOfRange(259))
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
