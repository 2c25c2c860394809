/// Capped exponential backoff with full jitter, as one pure function.
///
///     ceiling(n) = min(cap, base · 2ⁿ)          n = consecutive failures before this wait, from 0
///     delay(n)   = uniform(0, ceiling(n))        ("full jitter")
///     delay(n)   = retryAfter + uniform(0, ceiling(n))   when the server sent Retry-After
///
/// With the defaults (base 0.5 s, cap 60 s) the ceilings are
/// 0.5 s, 1 s, 2 s, 4 s, 8 s, 16 s, 32 s, then 60 s for every later attempt.
///
/// Full jitter spreads a fleet of terminals that lost the server at the same moment over the
/// whole window instead of letting them retry in lock-step (AWS Architecture Blog, "Exponential
/// Backoff And Jitter", 2015). A server's Retry-After is a floor, and jitter is added on top of
/// it for the same reason: a thousand gateways told "120 s" must not all return at 120 s.
public struct Backoff: Sendable, Equatable {
    public var base: Duration
    public var cap: Duration

    public init(base: Duration = .milliseconds(500), cap: Duration = .seconds(60)) {
        precondition(base > .zero && cap >= base)
        self.base = base
        self.cap = cap
    }

    /// The upper bound of the wait after `attempt` consecutive failures.
    public func ceiling(attempt: Int) -> Duration {
        // 2^n overflows nothing before it passes any sane cap; stop doubling once it has.
        var c = base
        var n = 0
        while n < attempt && c < cap {
            c = c * 2
            n += 1
        }
        return min(c, cap)
    }

    /// - Parameter unit: a uniform random number in [0, 1), injected so tests can pin it.
    public func delay(attempt: Int, retryAfter: Duration? = nil, unit: Double) -> Duration {
        precondition(unit >= 0 && unit < 1)
        let jittered = ceiling(attempt: attempt) * unit
        return (retryAfter ?? .zero) + jittered
    }
}
