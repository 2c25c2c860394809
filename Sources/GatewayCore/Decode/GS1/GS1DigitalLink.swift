/// GS1 Digital Link URIs (GS1 Digital Link Standard: URI Syntax 1.x) to the same element model
/// as element strings: any domain and path prefix, a primary key with its value, key
/// qualifiers in their defined order, and data attributes in the query string, all
/// percent-decoded and then checked like any element (check digits, dates, lengths).
public enum GS1DigitalLink {
    /// Primary keys and the qualifiers that may follow each, in order (DL standard §4.4 table).
    static let qualifiers: [String: [String]] = [
        "01": ["22", "10", "21"], "00": [], "253": [], "255": [], "401": [], "402": [],
        "414": ["254", "7040"], "417": ["7040"], "8003": [], "8004": [], "8006": ["22", "10", "21"],
        "8010": ["8011"], "8013": [], "8017": ["8019"], "8018": ["8019"],
    ]

    /// Convenience short names some resolvers and printers use for path keys.
    static let shortNames: [String: String] = [
        "gtin": "01", "sscc": "00", "gln": "414", "party": "417", "grai": "8003", "giai": "8004",
        "itip": "8006", "cpv": "22", "lot": "10", "ser": "21", "exp": "17",
    ]

    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case notAURI
        case noPrimaryKey
        case qualifierOutOfOrder(String)
        case badPercentEncoding
        case element(GS1Error)

        public var description: String {
            switch self {
            case .notAURI: return "not an http(s) URI"
            case .noPrimaryKey: return "no GS1 primary key (01, 00, 414, …) in the path"
            case .qualifierOutOfOrder(let ai): return "key qualifier (\(ai)) is not allowed there or out of order"
            case .badPercentEncoding: return "bad percent-encoding"
            case .element(let e): return e.description
            }
        }
    }

    public static func looksLikeDigitalLink(_ s: String) -> Bool {
        let l = s.lowercased()
        return l.hasPrefix("https://") || l.hasPrefix("http://")
    }

    public static func parse(_ uri: String, referenceYear: Int) throws(Error) -> [GS1Element] {
        guard looksLikeDigitalLink(uri) else { throw .notAURI }
        guard let sep = uri.firstRange(of: "://") else { throw .notAURI }
        let afterScheme = uri[sep.upperBound...]
        var pathAndQuery = afterScheme.drop { $0 != "/" }
        if let hash = pathAndQuery.firstIndex(of: "#") { pathAndQuery = pathAndQuery[..<hash] }
        let path: Substring
        let query: Substring
        if let q = pathAndQuery.firstIndex(of: "?") {
            path = pathAndQuery[..<q]
            query = pathAndQuery[pathAndQuery.index(after: q)...]
        } else {
            path = pathAndQuery
            query = ""
        }
        let segments = path.split(separator: "/").map(String.init)
        func ai(_ seg: String) -> String { shortNames[seg.lowercased()] ?? seg }
        // The primary key is the last key segment from which the rest of the path parses as
        // qualifiers; a path prefix before it may contain anything.
        var start: Int?
        var i = 0
        while i + 1 < segments.count {
            if qualifiers[ai(segments[i])] != nil, (segments.count - i) % 2 == 0 {
                start = i
                break
            }
            i += 1
        }
        guard let s = start else { throw .noPrimaryKey }
        var out: [GS1Element] = []
        let key = ai(segments[s])
        let allowed = qualifiers[key] ?? []
        var lastQualifier = -1
        var j = s
        while j + 1 < segments.count {
            let code = ai(segments[j])
            if j > s {
                guard let idx = allowed.firstIndex(of: code), idx > lastQualifier else {
                    throw .qualifierOutOfOrder(code)
                }
                lastQualifier = idx
            }
            out.append(try element(code, segments[j + 1], referenceYear))
            j += 2
        }
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { continue }
            let code = ai(kv[0])
            // Non-AI parameters (linkType, context, …) are not data.
            guard code.allSatisfy(\.isNumber), GS1AITable.entries[code] != nil else { continue }
            out.append(try element(code, kv[1], referenceYear))
        }
        return out
    }

    static func element(_ ai: String, _ raw: String, _ year: Int) throws(Error) -> GS1Element {
        guard let entry = GS1AITable.entries[ai] else { throw .element(.unknownAI(at: 0)) }
        guard let value = percentDecode(raw) else { throw .badPercentEncoding }
        // A GTIN may be given as GTIN-8/12/13: the element model always holds GTIN-14.
        var v = value
        if ai == "01" || ai == "02", [8, 12, 13].contains(v.count) {
            v = String(repeating: "0", count: 14 - v.count) + v
        }
        do {
            return try GS1ElementString.element(entry, v, referenceYear: year)
        } catch {
            throw .element(error)
        }
    }

    static func percentDecode(_ s: String) -> String? {
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "%") {
                guard it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) else {
                    return nil
                }
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
