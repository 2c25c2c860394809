/// Counts envelopes that failed to open, per key (a device id or a client address), and says
/// when a key is throttled: a leaky bucket over an injected clock, no I/O.
///
///     score  += 1 for each envelope that failed to open, at most burst + perSecond · maxBlock
///     score  −= perSecond for each second since the key's last update, down to 0
///     throttled while score > burst; Retry-After = ⌈(score − burst) / perSecond⌉ s
///
/// With the defaults (burst 50, 1 per second, maxBlock 60 s): a key may fail 50 envelopes at
/// once and then one a second for ever without being throttled (a terminal whose key was
/// rotated away, or a technician's mistakes); one batch of 500 junk envelopes shuts it out for
/// 60 s, and each further failure keeps it shut out for 60 s more. A key that stops failing
/// is let in again after Retry-After.
///
/// At most `maxKeys` keys are tracked: junk under ever new device ids would otherwise grow the
/// table without bound. Past it, keys whose score leaked away go first, then the lowest
/// scores, so the keys an attacker uses most are the last forgotten.
public struct FailureThrottle: Sendable {
    public struct Policy: Sendable, Equatable {
        public var burst: Int
        public var perSecond: Int
        public var maxBlockSeconds: Int
        public var maxKeys: Int

        public init(burst: Int = 50, perSecond: Int = 1, maxBlockSeconds: Int = 60, maxKeys: Int = 10_000) {
            precondition(burst >= 0 && perSecond > 0 && maxBlockSeconds > 0 && maxKeys > 0)
            self.burst = burst
            self.perSecond = perSecond
            self.maxBlockSeconds = maxBlockSeconds
            self.maxKeys = maxKeys
        }
    }

    struct Entry {
        var score: Double
        var atNanos: Int64
    }

    public let policy: Policy
    private var entries: [String: Entry] = [:]

    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// How many keys are tracked now.
    public var trackedKeys: Int { entries.count }

    /// Whole seconds until `key` is let in again, or nil if it is not throttled.
    public mutating func retryAfter(_ key: String, nowNanos: Int64) -> Int? {
        guard let score = leaked(key, nowNanos: nowNanos) else { return nil }
        let over = score - Double(policy.burst)
        guard over > 0 else { return nil }
        return max(1, Int((over / Double(policy.perSecond)).rounded(.up)))
    }

    /// - Returns: whether this shut the key out (it was let in before), for a log line.
    @discardableResult
    public mutating func recordFailures(_ count: Int, for key: String, nowNanos: Int64) -> Bool {
        guard count > 0 else { return false }
        let ceiling = Double(policy.burst + policy.perSecond * policy.maxBlockSeconds)
        let before = leaked(key, nowNanos: nowNanos) ?? 0
        let score = min(ceiling, before + Double(count))
        entries[key] = Entry(score: score, atNanos: nowNanos)
        if entries.count > policy.maxKeys { forget(nowNanos: nowNanos) }
        return before <= Double(policy.burst) && score > Double(policy.burst)
    }

    /// The key's score now, stored back so the leak is computed from here on.
    private mutating func leaked(_ key: String, nowNanos: Int64) -> Double? {
        guard let e = entries[key] else { return nil }
        let score = Self.leak(e, perSecond: policy.perSecond, nowNanos: nowNanos)
        if score <= 0 {
            entries[key] = nil
            return nil
        }
        entries[key] = Entry(score: score, atNanos: max(e.atNanos, nowNanos))
        return score
    }

    private static func leak(_ e: Entry, perSecond: Int, nowNanos: Int64) -> Double {
        let elapsed = Double(max(0, nowNanos - e.atNanos)) / 1e9
        return max(0, e.score - elapsed * Double(perSecond))
    }

    /// Down to three quarters of `maxKeys`, so the sweep runs once per many new keys.
    private mutating func forget(nowNanos: Int64) {
        let perSecond = policy.perSecond
        entries = entries.filter { Self.leak($0.value, perSecond: perSecond, nowNanos: nowNanos) > 0 }
        let keep = policy.maxKeys * 3 / 4
        guard entries.count > keep else { return }
        let ranked = entries.sorted {
            Self.leak($0.value, perSecond: perSecond, nowNanos: nowNanos)
                > Self.leak($1.value, perSecond: perSecond, nowNanos: nowNanos)
        }
        entries = Dictionary(uniqueKeysWithValues: ranked.prefix(keep).map { ($0.key, $0.value) })
    }
}
