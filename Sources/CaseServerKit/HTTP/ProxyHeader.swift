/// The PROXY protocol header a load balancer passing TCP through (haproxy `send-proxy-v2`) puts
/// before the client's first byte, naming the client's address: the only way an instance behind
/// such a balancer learns who it is talking to, since it terminates TLS itself and there is no
/// HTTP header the balancer could add. Versions 1 (text) and 2 (binary) of haproxy's
/// specification (proxy-protocol.txt). Pure: bytes in, a verdict out.
///
///     v1: "PROXY TCP4 192.0.2.1 192.0.2.2 51234 8443\r\n"  (at most 107 bytes)
///     v2: 12-byte signature, version/command, family/transport, 2-byte length, addresses, TLVs
public enum ProxyHeader {
    public enum Parse: Equatable {
        /// A prefix of a header: read more.
        case needMore
        /// The bytes do not start with a PROXY header.
        case absent
        /// A whole header of `length` bytes; `source` is the client's address, nil for v2's
        /// LOCAL command and v1's UNKNOWN (the balancer's own connection, a health check).
        case header(length: Int, source: String?)
        case malformed(String)
    }

    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    static let v1Prefix = Array("PROXY ".utf8)
    /// A v2 header's addresses and TLVs may not exceed this (haproxy sends well under 100 bytes).
    static let maxV2Body = 1024

    public static func parse<C: Collection>(_ bytes: C) -> Parse where C.Element == UInt8 {
        let b = Array(bytes.prefix(16 + maxV2Body))
        if b.isEmpty { return .needMore }
        if startsWith(b, v2Signature) {
            guard b.count >= 16 else { return .needMore }
            return v2(b)
        }
        if startsWith(b, v1Prefix) { return v1(b) }
        return .absent
    }

    /// Whether `b` starts with `prefix`, or is a prefix of it (more may make it one).
    private static func startsWith(_ b: [UInt8], _ prefix: [UInt8]) -> Bool {
        zip(b, prefix).allSatisfy { $0 == $1 }
    }

    private static func v2(_ b: [UInt8]) -> Parse {
        guard b[12] >> 4 == 2 else { return .malformed("PROXY v2 header of version \(b[12] >> 4)") }
        let command = b[12] & 0x0F
        let length = Int(b[14]) << 8 | Int(b[15])
        guard length <= maxV2Body else { return .malformed("PROXY v2 header of \(length) bytes") }
        guard b.count >= 16 + length else { return .needMore }
        let total = 16 + length
        switch command {
        case 0: return .header(length: total, source: nil)  // LOCAL: the balancer itself
        case 1: break
        default: return .malformed("PROXY v2 command \(command)")
        }
        let body = b[16..<total]
        switch b[13] >> 4 {
        case 1:  // AF_INET: source, destination, source port, destination port
            guard body.count >= 12 else { return .malformed("PROXY v2 IPv4 addresses cut short") }
            let s = body.startIndex
            return .header(length: total, source: body[s..<s + 4].map(String.init).joined(separator: "."))
        case 2:  // AF_INET6
            guard body.count >= 36 else { return .malformed("PROXY v2 IPv6 addresses cut short") }
            let s = body.startIndex
            let groups = stride(from: 0, to: 16, by: 2).map { i in
                String(UInt16(body[s + i]) << 8 | UInt16(body[s + i + 1]), radix: 16)
            }
            return .header(length: total, source: groups.joined(separator: ":"))
        default:  // AF_UNSPEC or AF_UNIX: no client address to take
            return .header(length: total, source: nil)
        }
    }

    private static func v1(_ b: [UInt8]) -> Parse {
        guard let cr = b.firstIndex(of: 0x0D) else {
            return b.count >= 107 ? .malformed("PROXY v1 line longer than 107 bytes") : .needMore
        }
        guard cr + 2 <= 107 else { return .malformed("PROXY v1 line longer than 107 bytes") }
        guard cr + 1 < b.count else { return .needMore }
        guard b[cr + 1] == 0x0A else { return .malformed("PROXY v1 line not ended by CRLF") }
        let words = String(decoding: b[..<cr], as: UTF8.self).split(separator: " ").map(String.init)
        if words.count >= 2, words[1] == "UNKNOWN" { return .header(length: cr + 2, source: nil) }
        guard words.count == 6, words[1] == "TCP4" || words[1] == "TCP6", isAddress(words[2], v6: words[1] == "TCP6")
        else {
            return .malformed("PROXY v1 line is not PROXY TCP4|TCP6 SRC DST SPORT DPORT")
        }
        return .header(length: cr + 2, source: words[2])
    }

    private static func isAddress(_ s: String, v6: Bool) -> Bool {
        if v6 { return s.contains(":") && s.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}
