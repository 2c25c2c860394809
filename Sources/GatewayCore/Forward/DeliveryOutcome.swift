/// What one POST of a batch came back with, as far as the forwarder's decisions go.
public enum DeliveryOutcome: Sendable, Equatable {
    /// HTTP 200 with per-envelope results.
    case results(EnvelopeResults)
    /// Any other HTTP status; `retryAfter` from a Retry-After header (429 and 503); `detail`
    /// the start of the body, for a dead letter's reason (a server's 400 says what is wrong).
    case httpStatus(Int, retryAfter: Duration?, detail: String? = nil)
    /// No HTTP answer: DNS, connect, TLS, timeout, reset. `reason` is for logs and metrics.
    case transportFailure(reason: String)
}
