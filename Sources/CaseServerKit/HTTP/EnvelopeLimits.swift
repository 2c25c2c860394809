import Foundation

/// What one `POST /v1/envelopes` may carry. Every envelope costs the server a DH (or two), so
/// a request's size bounds what one request can make the server spend; a terminal sends at
/// most `batch_max` (500) envelopes and `batch_max_kb` (1 MiB) per request by default, so
/// these defaults refuse nothing a terminal sends.
public struct EnvelopeLimits: Sendable, Equatable {
    public static let defaultMaxEnvelopes = 500
    public static let defaultMaxBytes = 1 << 20

    public var maxEnvelopes: Int
    /// The request body's size, the `{"envelopes": [...]}` document as sent.
    public var maxBytes: Int

    public init(maxEnvelopes: Int = defaultMaxEnvelopes, maxBytes: Int = defaultMaxBytes) {
        precondition(maxEnvelopes > 0 && maxBytes > 0)
        self.maxEnvelopes = maxEnvelopes
        self.maxBytes = maxBytes
    }

    /// The 413 answer's body. The numbers come first: a gateway keeps only the start of an
    /// error's body, and adopts them (`BatchLimitsAnswer`).
    func tooLarge(_ what: String) -> String {
        #"{"max_envelopes":\#(maxEnvelopes),"max_bytes":\#(maxBytes),"error":"\#(what): send at most \#(maxEnvelopes) envelopes and \#(maxBytes) bytes per request"}"#
    }
}
