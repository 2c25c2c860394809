/// NFC Data Exchange Format messages (NFC Forum NDEF 1.0; RTD URI 1.0; RTD Text 1.0): the
/// record structure, URI records with their prefix table and Text records with language and
/// UTF-8/UTF-16 encoding. Other records are kept with their type and payload size.
public struct NDEFRecord: Sendable, Equatable, Codable {
    public var tnf: Int
    public var type: String
    public var uri: String?
    public var text: String?
    public var language: String?
    public var payloadLength: Int

    public init(
        tnf: Int,
        type: String,
        uri: String? = nil,
        text: String? = nil,
        language: String? = nil,
        payloadLength: Int
    ) {
        self.tnf = tnf
        self.type = type
        self.uri = uri
        self.text = text
        self.language = language
        self.payloadLength = payloadLength
    }
}

public enum NDEFError: Error, Equatable, CustomStringConvertible {
    case truncated
    case chunkedUnsupported
    case badURIPrefix(UInt8)
    case badText
    case empty

    public var description: String {
        switch self {
        case .truncated: return "NDEF message is truncated"
        case .chunkedUnsupported: return "chunked NDEF records are not supported"
        case .badURIPrefix(let p): return "URI record prefix code 0x\(String(p, radix: 16)) is reserved"
        case .badText: return "Text record is malformed"
        case .empty: return "no NDEF record"
        }
    }
}

public enum NDEFMessage {
    /// RTD URI 1.0, Table 3: abbreviation codes 0x00…0x23.
    static let uriPrefixes = [
        "", "http://www.", "https://www.", "http://", "https://", "tel:", "mailto:", "ftp://anonymous:anonymous@",
        "ftp://ftp.", "ftps://", "sftp://", "smb://", "nfs://", "ftp://", "dav://", "news:", "telnet://", "imap:",
        "rtsp://", "urn:", "pop:", "sip:", "sips:", "tftp:", "btspp://", "btl2cap://", "btgoep://", "tcpobex://",
        "irdaobex://", "file://", "urn:epc:id:", "urn:epc:tag:", "urn:epc:pat:", "urn:epc:raw:", "urn:epc:", "urn:nfc:",
    ]

    public static func parse(_ bytes: [UInt8]) throws(NDEFError) -> [NDEFRecord] {
        var out: [NDEFRecord] = []
        var i = 0
        while i < bytes.count {
            let h = bytes[i]
            let me = h & 0x40 != 0
            let cf = h & 0x20 != 0
            let sr = h & 0x10 != 0
            let il = h & 0x08 != 0
            let tnf = Int(h & 0x07)
            if cf { throw .chunkedUnsupported }
            i += 1
            guard i < bytes.count else { throw .truncated }
            let typeLen = Int(bytes[i])
            i += 1
            var payloadLen = 0
            if sr {
                guard i < bytes.count else { throw .truncated }
                payloadLen = Int(bytes[i])
                i += 1
            } else {
                guard i + 4 <= bytes.count else { throw .truncated }
                payloadLen = Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
                i += 4
            }
            var idLen = 0
            if il {
                guard i < bytes.count else { throw .truncated }
                idLen = Int(bytes[i])
                i += 1
            }
            guard payloadLen <= bytes.count, i + typeLen + idLen + payloadLen <= bytes.count else { throw .truncated }
            let type = String(decoding: bytes[i..<i + typeLen], as: UTF8.self)
            i += typeLen + idLen
            let payload = Array(bytes[i..<i + payloadLen])
            i += payloadLen
            var rec = NDEFRecord(tnf: tnf, type: type, payloadLength: payloadLen)
            if tnf == 1 && type == "U" {
                guard let code = payload.first else { throw .truncated }
                guard Int(code) < uriPrefixes.count else { throw .badURIPrefix(code) }
                rec.uri = uriPrefixes[Int(code)] + String(decoding: payload.dropFirst(), as: UTF8.self)
            } else if tnf == 1 && type == "T" {
                guard let status = payload.first else { throw .badText }
                let utf16 = status & 0x80 != 0
                let langLen = Int(status & 0x3F)
                guard 1 + langLen <= payload.count else { throw .badText }
                rec.language = String(decoding: payload[1..<1 + langLen], as: UTF8.self)
                let body = Array(payload[(1 + langLen)...])
                if utf16 {
                    guard body.count % 2 == 0 else { throw .badText }
                    var units: [UInt16] = []
                    var bigEndian = true
                    var k = 0
                    if body.count >= 2 && body[0] == 0xFF && body[1] == 0xFE {
                        bigEndian = false
                        k = 2
                    } else if body.count >= 2 && body[0] == 0xFE && body[1] == 0xFF {
                        k = 2
                    }
                    while k + 1 < body.count {
                        units.append(
                            bigEndian
                                ? UInt16(body[k]) << 8 | UInt16(body[k + 1])
                                : UInt16(body[k + 1]) << 8 | UInt16(body[k])
                        )
                        k += 2
                    }
                    rec.text = String(decoding: units, as: UTF16.self)
                } else {
                    guard let t = String(validating: body, as: UTF8.self) else { throw .badText }
                    rec.text = t
                }
            }
            out.append(rec)
            if me { break }
        }
        guard !out.isEmpty else { throw .empty }
        return out
    }
}
