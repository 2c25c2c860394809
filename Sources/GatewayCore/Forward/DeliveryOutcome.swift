/// What one POST of a batch came back with, as far as the forwarder's decisions go.
public enum DeliveryOutcome: Sendable, Equatable {
    /// HTTP 200 with per-envelope results.
    case results(EnvelopeResults)
    /// Any other HTTP status; `retryAfter` from a Retry-After header (429 and 503).
    case httpStatus(Int, retryAfter: Duration?)
    /// No HTTP answer: DNS, connect, TLS, timeout, reset. `reason` is for logs and metrics.
    case transportFailure(reason: String)
}
