import GatewayCore

/// How the dispatcher sends notifications (`[webhooks]` in the policy): the per-request timeout,
/// the backoff between attempts and the bound after which a notification is marked failed.
///
///     [webhooks]
///     timeout_ms = 10000         # one attempt, connect to answer; a hanging insurer costs this
///     backoff_base_ms = 2000     # first retry within 2 s, doubling ...
///     backoff_cap_ms = 600000    # ... up to 10 min between attempts
///     max_attempts = 20          # then failed, with the last reason (retry by command)
///
/// With the defaults a notification is tried 20 times over about an hour before it is marked
/// failed (the waits' ceilings add up to about 2 h; full jitter halves that on average).
public struct WebhookSettings: Sendable, Equatable {
    public var timeout: Duration
    public var backoff: Backoff
    public var maxAttempts: Int

    public init(
        timeout: Duration = .seconds(10),
        backoff: Backoff = Backoff(base: .seconds(2), cap: .seconds(600)),
        maxAttempts: Int = 20
    ) {
        self.timeout = timeout
        self.backoff = backoff
        self.maxAttempts = maxAttempts
    }

    /// How long a claim holds a notification before another dispatcher may take it: longer than
    /// one attempt can last, so a live dispatcher's claim never lapses; a killed one's comes back
    /// after it.
    public var lease: Duration { timeout * 2 + .seconds(5) }

    static func parse(_ t: ConfigSection) throws(ConfigError) -> WebhookSettings {
        let d = WebhookSettings()
        let timeout = try t.int("timeout_ms", default: Int(d.timeout / .milliseconds(1)), range: 100...300_000)
        let base = try t.int(
            "backoff_base_ms",
            default: Int(d.backoff.base / .milliseconds(1)),
            range: 10...3_600_000
        )
        let cap = try t.int(
            "backoff_cap_ms",
            default: max(base, Int(d.backoff.cap / .milliseconds(1))),
            range: 10...86_400_000
        )
        guard cap >= base else {
            throw .invalid(
                key: t.key("backoff_cap_ms"),
                problem: "\(cap) is below backoff_base_ms (\(base))",
                fix: "make the cap at least the base"
            )
        }
        return WebhookSettings(
            timeout: .milliseconds(timeout),
            backoff: Backoff(base: .milliseconds(base), cap: .milliseconds(cap)),
            maxAttempts: try t.int("max_attempts", default: d.maxAttempts, range: 1...1000)
        )
    }
}
