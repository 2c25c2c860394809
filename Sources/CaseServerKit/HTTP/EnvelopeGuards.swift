/// What `POST /v1/envelopes` refuses before any envelope is opened: a batch over `limits`
/// (413), and a client `throttle` has shut out (429 with Retry-After). The defaults are
/// `serve`'s.
public struct EnvelopeGuards: Sendable {
    public var limits: EnvelopeLimits
    public var throttle: EnvelopeThrottle
    /// Load balancers whose X-Forwarded-For names the client (`ClientAddress`).
    public var trustedProxies: Set<String>

    public init(
        limits: EnvelopeLimits = .init(),
        throttle: EnvelopeThrottle = .init(),
        trustedProxies: Set<String> = []
    ) {
        self.limits = limits
        self.throttle = throttle
        self.trustedProxies = trustedProxies
    }
}
