/// The batch limits a 413 answer names, read from the start of its body: the case server
/// answers `{"max_envelopes": 500, "max_bytes": 1048576, "error": "..."}`. Only the start is
/// kept for a delivery's detail (`DeliveryOutcome`), so the numbers are found by their keys
/// rather than by decoding the document; an answer without them (a proxy's HTML page) names
/// nothing.
public struct BatchLimitsAnswer: Sendable, Equatable {
    public var maxEnvelopes: Int?
    public var maxBytes: Int?

    public init(maxEnvelopes: Int? = nil, maxBytes: Int? = nil) {
        self.maxEnvelopes = maxEnvelopes
        self.maxBytes = maxBytes
    }

    public init(_ body: String?) {
        guard let body else { return }
        maxEnvelopes = Self.number(after: "\"max_envelopes\"", in: body)
        maxBytes = Self.number(after: "\"max_bytes\"", in: body)
    }

    /// The positive integer after `key`, a colon and optional spaces.
    static func number(after key: String, in text: String) -> Int? {
        guard let found = text.range(of: key) else { return nil }
        var rest = text[found.upperBound...].drop { $0 == " " }
        guard rest.first == ":" else { return nil }
        rest = rest.dropFirst().drop { $0 == " " }
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 12, let n = Int(digits), n > 0 else { return nil }
        return n
    }
}
