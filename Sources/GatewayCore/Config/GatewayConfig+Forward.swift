extension GatewayConfig {
    /// `[forward]`: how scans are batched and sent, and how long a failing server is waited for.
    public struct Forward: Sendable, Equatable {
        public static let defaultBatchMax = 500
        public static let defaultBatchMaxBytes = 1 << 20
        public static let defaultLinger: Duration = .milliseconds(20)
        public static let defaultReadTimeout: Duration = .seconds(10)
        public static let defaultBackoffBase: Duration = .milliseconds(500)
        public static let defaultBackoffCap: Duration = .seconds(60)
        public static let defaultConnectTimeout: Duration = .seconds(5)
        public static let defaultRequestTimeout: Duration = .seconds(30)

        /// Most envelopes in one request.
        public var batchMax = Forward.defaultBatchMax
        /// A batch's body stays under this many bytes (one envelope larger than it goes alone).
        public var batchMaxBytes = Forward.defaultBatchMaxBytes
        /// After a wake-up with less than a full batch waiting, wait this long for more.
        public var linger = Forward.defaultLinger
        /// Longest silence while waiting for the server's answer.
        public var readTimeout = Forward.defaultReadTimeout
        /// First and longest wait between attempts while the server fails.
        public var backoffBase = Forward.defaultBackoffBase
        public var backoffCap = Forward.defaultBackoffCap
        public var connectTimeout = Forward.defaultConnectTimeout
        /// The whole request, from connecting to the last byte of the answer.
        public var requestTimeout = Forward.defaultRequestTimeout

        public init() {}

        public static func parse(_ s: ConfigSection) throws(ConfigError) -> Forward {
            var f = Forward()
            f.batchMax = try s.int("batch_max", default: defaultBatchMax, range: 1...10_000)
            let base = try s.int("backoff_base_ms", default: defaultBackoffBase.wholeMilliseconds, range: 1...600_000)
            let cap = try s.int("backoff_cap_ms", default: defaultBackoffCap.wholeMilliseconds, range: 1...3_600_000)
            guard cap >= base else {
                throw .invalid(
                    key: s.key("backoff_cap_ms"),
                    problem: "smaller than backoff_base_ms",
                    fix: "make the cap at least the base"
                )
            }
            f.backoffBase = .milliseconds(base)
            f.backoffCap = .milliseconds(cap)
            f.connectTimeout = .milliseconds(
                try s.int("connect_timeout_ms", default: defaultConnectTimeout.wholeMilliseconds, range: 100...600_000)
            )
            f.requestTimeout = .milliseconds(
                try s.int(
                    "request_timeout_ms",
                    default: defaultRequestTimeout.wholeMilliseconds,
                    range: 100...3_600_000
                )
            )
            f.readTimeout = .milliseconds(
                try s.int("read_timeout_ms", default: defaultReadTimeout.wholeMilliseconds, range: 100...3_600_000)
            )
            f.batchMaxBytes = try s.int("batch_max_kb", default: defaultBatchMaxBytes >> 10, range: 1...65_536) << 10
            f.linger = .milliseconds(
                try s.int("linger_ms", default: defaultLinger.wholeMilliseconds, range: 0...60_000)
            )
            try s.finish()
            return f
        }
    }
}

extension Duration {
    /// Whole milliseconds, for the `_ms` keys whose defaults are written as durations.
    var wholeMilliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
