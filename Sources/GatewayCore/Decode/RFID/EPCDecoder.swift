/// EPC binary encodings from UHF RFID tags (GS1 EPC Tag Data Standard, TDS 2.x §14) to the
/// pure-identity URI (`urn:epc:id:…`), the tag URI (`urn:epc:tag:…` with the filter value) and,
/// where there is one, the GS1 key in element-string form.
public struct EPCIdentity: Sendable, Equatable, Codable {
    public var scheme: String
    public var filter: Int
    public var pureIdentityURI: String
    public var tagURI: String
    /// The GS1 element string of the key (e.g. `(01)…(21)…`), when the scheme maps to one.
    public var elementString: String?
}

public enum EPCError: Error, Equatable, CustomStringConvertible {
    case notHex
    case unsupportedHeader(UInt8)
    case wrongLength(scheme: String, bits: Int)
    case badPartition(Int)
    case valueTooLarge(field: String)
    case badSerial

    public var description: String {
        switch self {
        case .notHex: return "not a hexadecimal EPC"
        case .unsupportedHeader(let h):
            return "EPC header 0x\(String(h, radix: 16)) is not one gatewayd decodes (SGTIN, SSCC, SGLN, GRAI, GIAI)"
        case .wrongLength(let s, let bits): return "\(s) needs \(bits) bits"
        case .badPartition(let p): return "partition value \(p) is reserved"
        case .valueTooLarge(let f): return "\(f) exceeds its digit count (TDS: not a valid encoding)"
        case .badSerial: return "the serial is not 7-bit GS1 characters"
        }
    }
}

public enum EPCDecoder {
    /// (company prefix bits, digits, second field bits, digits) per partition value 0…6.
    typealias Partition = (cpBits: Int, cpDigits: Int, refBits: Int, refDigits: Int)
    static let sgtin: [Partition] = [
        (40, 12, 4, 1), (37, 11, 7, 2), (34, 10, 10, 3), (30, 9, 14, 4), (27, 8, 17, 5), (24, 7, 20, 6), (20, 6, 24, 7),
    ]
    static let sscc: [Partition] = [
        (40, 12, 18, 5), (37, 11, 21, 6), (34, 10, 24, 7), (30, 9, 28, 8), (27, 8, 31, 9), (24, 7, 34, 10),
        (20, 6, 38, 11),
    ]
    static let sgln: [Partition] = [
        (40, 12, 1, 0), (37, 11, 4, 1), (34, 10, 7, 2), (30, 9, 11, 3), (27, 8, 14, 4), (24, 7, 17, 5), (20, 6, 21, 6),
    ]
    static let grai: [Partition] = [
        (40, 12, 4, 0), (37, 11, 7, 1), (34, 10, 10, 2), (30, 9, 14, 3), (27, 8, 17, 4), (24, 7, 20, 5), (20, 6, 24, 6),
    ]
    static let giai: [Partition] = [
        (40, 12, 42, 13), (37, 11, 45, 14), (34, 10, 48, 15), (30, 9, 52, 16), (27, 8, 55, 17), (24, 7, 58, 18),
        (20, 6, 62, 19),
    ]

    public static func decode(hex: String) throws(EPCError) -> EPCIdentity {
        guard let bytes = Hex.bytes(hex) else { throw .notHex }
        return try decode(bytes: bytes)
    }

    public static func decode(bytes: [UInt8]) throws(EPCError) -> EPCIdentity {
        var r = BitReader(bytes)
        guard let header = bytes.first else { throw .notHex }
        _ = r.read(8)
        func need(_ scheme: String, _ bits: Int) throws(EPCError) {
            guard bytes.count * 8 >= bits else { throw .wrongLength(scheme: scheme, bits: bits) }
        }
        let filter = Int(r.read(3))
        let p = Int(r.read(3))
        guard p <= 6 else { throw .badPartition(p) }
        switch header {
        case 0x30, 0x36:
            let scheme = header == 0x30 ? "sgtin-96" : "sgtin-198"
            try need(scheme, header == 0x30 ? 96 : 198)
            let part = sgtin[p]
            let cp = try digits(r.read(part.cpBits), part.cpDigits, "company prefix")
            let item = try digits(r.read(part.refBits), part.refDigits, "indicator and item reference")
            let serial: String
            if header == 0x30 {
                serial = String(r.read(38))
            } else {
                var chars: [UInt8] = []
                for _ in 0..<20 {
                    let c = UInt8(r.read(7))
                    if c == 0 { break }
                    guard c >= 0x21 else { throw .badSerial }
                    chars.append(c)
                }
                serial = String(decoding: chars, as: UTF8.self)
            }
            let gtin13 = String(item.prefix(1)) + cp + String(item.dropFirst())
            let gtin = gtin13 + String(GS1ElementString.checkDigit(Array(gtin13)))
            return EPCIdentity(
                scheme: scheme,
                filter: filter,
                pureIdentityURI: "urn:epc:id:sgtin:\(cp).\(item).\(uriEscape(serial))",
                tagURI: "urn:epc:tag:\(scheme):\(filter).\(cp).\(item).\(uriEscape(serial))",
                elementString: "(01)\(gtin)(21)\(serial)"
            )
        case 0x31:
            try need("sscc-96", 96)
            let part = sscc[p]
            let cp = try digits(r.read(part.cpBits), part.cpDigits, "company prefix")
            let ref = try digits(r.read(part.refBits), part.refDigits, "serial reference")
            let s17 = String(ref.prefix(1)) + cp + String(ref.dropFirst())
            return EPCIdentity(
                scheme: "sscc-96",
                filter: filter,
                pureIdentityURI: "urn:epc:id:sscc:\(cp).\(ref)",
                tagURI: "urn:epc:tag:sscc-96:\(filter).\(cp).\(ref)",
                elementString: "(00)\(s17)\(GS1ElementString.checkDigit(Array(s17)))"
            )
        case 0x32:
            try need("sgln-96", 96)
            let part = sgln[p]
            let cp = try digits(r.read(part.cpBits), part.cpDigits, "company prefix")
            let loc = try digits(r.read(part.refBits), part.refDigits, "location reference")
            let ext = String(r.read(41))
            let gln12 = cp + loc
            let gln = gln12 + String(GS1ElementString.checkDigit(Array(gln12)))
            return EPCIdentity(
                scheme: "sgln-96",
                filter: filter,
                pureIdentityURI: "urn:epc:id:sgln:\(cp).\(loc).\(ext)",
                tagURI: "urn:epc:tag:sgln-96:\(filter).\(cp).\(loc).\(ext)",
                elementString: "(414)\(gln)" + (ext == "0" ? "" : "(254)\(ext)")
            )
        case 0x33:
            try need("grai-96", 96)
            let part = grai[p]
            let cp = try digits(r.read(part.cpBits), part.cpDigits, "company prefix")
            let asset = try digits(r.read(part.refBits), part.refDigits, "asset type")
            let serial = String(r.read(38))
            let g12 = cp + asset
            return EPCIdentity(
                scheme: "grai-96",
                filter: filter,
                pureIdentityURI: "urn:epc:id:grai:\(cp).\(asset).\(serial)",
                tagURI: "urn:epc:tag:grai-96:\(filter).\(cp).\(asset).\(serial)",
                elementString: "(8003)0\(g12)\(GS1ElementString.checkDigit(Array(g12)))\(serial)"
            )
        case 0x34:
            try need("giai-96", 96)
            let part = giai[p]
            let cp = try digits(r.read(part.cpBits), part.cpDigits, "company prefix")
            let ref = r.read(part.refBits)
            guard String(ref).count <= part.refDigits else { throw .valueTooLarge(field: "individual asset reference") }
            return EPCIdentity(
                scheme: "giai-96",
                filter: filter,
                pureIdentityURI: "urn:epc:id:giai:\(cp).\(ref)",
                tagURI: "urn:epc:tag:giai-96:\(filter).\(cp).\(ref)",
                elementString: "(8004)\(cp)\(ref)"
            )
        default:
            throw .unsupportedHeader(header)
        }
    }

    /// A field as exactly `count` decimal digits (leading zeros kept); count 0 means empty.
    static func digits(_ v: UInt64, _ count: Int, _ field: String) throws(EPCError) -> String {
        if count == 0 {
            guard v == 0 else { throw .valueTooLarge(field: field) }
            return ""
        }
        let s = String(v)
        guard s.count <= count else { throw .valueTooLarge(field: field) }
        return String(repeating: "0", count: count - s.count) + s
    }

    /// TDS §6.4: characters of a serial that must be %-escaped in an EPC URI.
    static func uriEscape(_ s: String) -> String {
        var out = ""
        for u in s.utf8 {
            if "\"%&/<>?#".utf8.contains(u) {
                out += "%" + String(u, radix: 16, uppercase: true)
            } else {
                out.append(Character(Unicode.Scalar(u)))
            }
        }
        return out
    }
}

/// Big-endian bit reader over bytes (missing bits read as 0; callers check lengths first).
struct BitReader {
    let bytes: [UInt8]
    var pos = 0
    init(_ b: [UInt8]) { bytes = b }
    mutating func read(_ n: Int) -> UInt64 {
        var v: UInt64 = 0
        for _ in 0..<n {
            let byte = pos / 8 < bytes.count ? bytes[pos / 8] : 0
            v = (v << 1) | UInt64((byte >> (7 - UInt8(pos % 8))) & 1)
            pos += 1
        }
        return v
    }
}
