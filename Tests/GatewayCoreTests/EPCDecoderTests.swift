import GatewayCore
import XCTest

/// EPC Tag Data Standard (TDS 2.x) vectors: the SGTIN-96 example of TDS §14.5.1 / Annex E
/// ("urn:epc:tag:sgtin-96:3.0614141.812345.6789" = 3074257BF7194E4000001A85), and encode →
/// decode round trips through an independent bit packer for every scheme and partition.
final class EPCDecoderTests: XCTestCase {
    func testTDSExampleSGTIN96() throws {
        let id = try EPCDecoder.decode(hex: "3074257BF7194E4000001A85")
        XCTAssertEqual(id.tagURI, "urn:epc:tag:sgtin-96:3.0614141.812345.6789")
        XCTAssertEqual(id.pureIdentityURI, "urn:epc:id:sgtin:0614141.812345.6789")
        XCTAssertEqual(id.filter, 3)
        // GTIN: indicator 8, company prefix 0614141, item 12345, check digit.
        XCTAssertEqual(id.elementString, "(01)80614141123458(21)6789")
        XCTAssertTrue(GS1ElementString.isValidKey("80614141123458"))
    }

    /// Packs fields MSB first, as TDS lays them out.
    func pack(_ fields: [(UInt64, Int)]) -> String {
        var bits: [Bool] = []
        for (v, n) in fields {
            for i in stride(from: n - 1, through: 0, by: -1) { bits.append((v >> UInt64(i)) & 1 == 1) }
        }
        while bits.count % 8 != 0 { bits.append(false) }
        var hex = ""
        for i in stride(from: 0, to: bits.count, by: 8) {
            var b: UInt8 = 0
            for k in 0..<8 { b = b << 1 | (bits[i + k] ? 1 : 0) }
            hex += String(format: "%02X", b)
        }
        return hex
    }

    func testRoundTripsOverAllPartitions() throws {
        let cpDigits = [12, 11, 10, 9, 8, 7, 6]
        let cpBits = [40, 37, 34, 30, 27, 24, 20]
        var rng = SystemRandomNumberGenerator()
        for p in 0...6 {
            let cp = UInt64.random(in: 0..<UInt64(pow(10, Double(cpDigits[p]))), using: &rng)
            let cpStr = String(format: "%0\(cpDigits[p])llu", cp)
            // SGTIN-96
            let itemDigits = 13 - cpDigits[p]
            let item = UInt64.random(in: 0..<UInt64(pow(10, Double(itemDigits))), using: &rng)
            let serial = UInt64.random(in: 0..<(1 << 38), using: &rng)
            let s = try EPCDecoder.decode(
                hex: pack([(0x30, 8), (1, 3), (UInt64(p), 3), (cp, cpBits[p]), (item, 44 - cpBits[p]), (serial, 38)])
            )
            XCTAssertEqual(
                s.tagURI,
                "urn:epc:tag:sgtin-96:1.\(cpStr).\(String(format: "%0\(itemDigits)llu", item)).\(serial)"
            )
            XCTAssertTrue(GS1ElementString.isValidKey(String(s.elementString!.dropFirst(4).prefix(14))))
            // SSCC-96
            let refDigits = 17 - cpDigits[p]
            let ref = UInt64.random(in: 0..<UInt64(pow(10, Double(refDigits))), using: &rng)
            let c = try EPCDecoder.decode(
                hex: pack([(0x31, 8), (2, 3), (UInt64(p), 3), (cp, cpBits[p]), (ref, 58 - cpBits[p]), (0, 24)])
            )
            XCTAssertEqual(c.pureIdentityURI, "urn:epc:id:sscc:\(cpStr).\(String(format: "%0\(refDigits)llu", ref))")
            XCTAssertTrue(GS1ElementString.isValidKey(String(c.elementString!.dropFirst(4))))
            // GIAI-96
            let asset = UInt64.random(in: 0..<(1 << 40), using: &rng)
            let g = try EPCDecoder.decode(
                hex: pack([(0x34, 8), (0, 3), (UInt64(p), 3), (cp, cpBits[p]), (asset, 82 - cpBits[p])])
            )
            XCTAssertEqual(g.pureIdentityURI, "urn:epc:id:giai:\(cpStr).\(asset)")
        }
    }

    func testSGLNAndGRAI() throws {
        let l = try EPCDecoder.decode(hex: pack([(0x32, 8), (0, 3), (5, 3), (614141, 24), (12345, 17), (400, 41)]))
        XCTAssertEqual(l.pureIdentityURI, "urn:epc:id:sgln:0614141.12345.400")
        XCTAssertEqual(l.elementString, "(414)0614141123452(254)400")
        let a = try EPCDecoder.decode(hex: pack([(0x33, 8), (3, 3), (5, 3), (614141, 24), (12345, 20), (5678, 38)]))
        XCTAssertEqual(a.tagURI, "urn:epc:tag:grai-96:3.0614141.12345.5678")
    }

    func testSGTIN198AlphanumericSerialIsEscaped() throws {
        var fields: [(UInt64, Int)] = [(0x36, 8), (3, 3), (5, 3), (614141, 24), (812345, 20)]
        for ch in "A/b%1".utf8 { fields.append((UInt64(ch), 7)) }
        fields.append((0, 7 * 15))
        let s = try EPCDecoder.decode(hex: pack(fields))
        XCTAssertEqual(s.pureIdentityURI, "urn:epc:id:sgtin:0614141.812345.A%2Fb%251")
        XCTAssertEqual(s.elementString, "(01)80614141123458(21)A/b%1")
    }

    func testInvalidEncodings() {
        XCTAssertThrowsError(try EPCDecoder.decode(hex: "zz")) { XCTAssertEqual($0 as? EPCError, .notHex) }
        XCTAssertThrowsError(try EPCDecoder.decode(hex: "E2801160")) {
            XCTAssertEqual($0 as? EPCError, .unsupportedHeader(0xE2))
        }
        XCTAssertThrowsError(try EPCDecoder.decode(hex: "3074257BF7")) {
            XCTAssertEqual($0 as? EPCError, .wrongLength(scheme: "sgtin-96", bits: 96))
        }
        XCTAssertThrowsError(try EPCDecoder.decode(hex: pack([(0x30, 8), (0, 3), (7, 3), (0, 82)]))) {
            XCTAssertEqual($0 as? EPCError, .badPartition(7))
        }
        // Company prefix 9,999,999 + 1 does not fit in 7 digits.
        XCTAssertThrowsError(
            try EPCDecoder.decode(hex: pack([(0x30, 8), (0, 3), (5, 3), (10_000_000, 24), (0, 20), (0, 38)]))
        ) {
            XCTAssertEqual($0 as? EPCError, .valueTooLarge(field: "company prefix"))
        }
    }
}
