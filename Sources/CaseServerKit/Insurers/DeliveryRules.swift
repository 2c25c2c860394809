import Foundation
import GatewayCore

/// What one attempt to post a notification came to, as the sender reduces it.
public enum WebhookOutcome: Sendable, Equatable {
    /// The insurer answered. `detail`: the start of its body, printable ASCII only.
    case status(Int, retryAfter: Duration?, detail: String?)
    /// No answer: refused, reset, TLS failed, or the per-request timeout passed.
    case transport(String)
    /// The server has no webhook or key for the insurer now (the policy changed since the
    /// notification was written).
    case notConfigured(String)
}

/// What to do with a notification after an attempt.
public enum WebhookAction: Sendable, Equatable {
    case delivered
    /// Try again at `dueAtNanos` (wall clock), recording why this attempt failed.
    case retry(dueAtNanos: Int64, reason: String)
    /// Stop: marked failed with the reason, until `case-server notifications retry`.
    case fail(reason: String)
}

/// The dispatcher's decisions, as pure functions: any 2xx is delivered; anything else (another
/// status, 4xx included: a receiver rejecting a request may be mid-deploy or mid-rotation of its
/// secret, and the Idempotency-Key makes a repeat harmless) is retried after the backoff, until
/// the `max_attempts`-th attempt has failed. A webhook the policy no longer has fails at once.
///
/// The wait after the n-th failed attempt (n from 1) is `Backoff.delay(attempt: n - 1)`:
///
///     ceiling(n) = min(backoff_cap, backoff_base · 2ⁿ⁻¹)
///     wait(n)    = uniform(0, ceiling(n))                 ("full jitter")
///     wait(n)    = retryAfter + uniform(0, ceiling(n))    with Retry-After (a floor, capped at 1 h)
///
/// e.g. with base 2 s and cap 10 min: up to 2 s, 4 s, 8 s, … 512 s, then 600 s per attempt.
/// Jitter keeps the notifications of a burst of cases from returning to a recovering insurer
/// in lock-step.
public struct DeliveryRules: Sendable {
    public var settings: WebhookSettings

    public init(settings: WebhookSettings) {
        self.settings = settings
    }

    /// - Parameters: `attempt`: this attempt's number, from 1; `unit`: uniform in [0, 1), the
    ///   jitter, injected so tests pin it.
    public func next(after outcome: WebhookOutcome, attempt: Int, nowNanos: Int64, unit: Double) -> WebhookAction {
        let reason: String
        var retryAfter: Duration?
        switch outcome {
        case .status(let code, let after, let detail):
            if (200..<300).contains(code) { return .delivered }
            retryAfter = after.map { min($0, Self.maxRetryAfter) }
            reason =
                "HTTP \(code)" + (detail.map { ": \($0)" } ?? "")
                + (after.map { " (Retry-After \(Int($0 / .seconds(1))) s)" } ?? "")
        case .transport(let why):
            reason = why
        case .notConfigured(let why):
            return .fail(reason: why)
        }
        guard attempt < settings.maxAttempts else {
            return .fail(reason: "\(reason); gave up after \(attempt) attempts")
        }
        let wait = settings.backoff.delay(attempt: max(0, attempt - 1), retryAfter: retryAfter, unit: unit)
        return .retry(dueAtNanos: nowNanos + Self.nanos(wait), reason: reason)
    }

    /// The longest Retry-After honoured: a receiver asking for more is asked again after an hour.
    public static let maxRetryAfter: Duration = .seconds(3600)

    static func nanos(_ d: Duration) -> Int64 {
        let (s, atto) = d.components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }

    /// `Retry-After` (RFC 9110 §10.2.3): delta-seconds, or an HTTP-date taken against `nowNanos`
    /// (the server's clock, unlike a terminal's, is kept right); nil when it is neither.
    public static func parseRetryAfter(_ value: String, nowNanos: Int64) -> Duration? {
        let v = value.trimmingCharacters(in: .whitespaces)
        if let s = Int(v) { return s >= 0 ? .seconds(s) : nil }
        guard let date = httpDate.date(from: v) else { return nil }
        let delta = date.timeIntervalSince1970 - Double(nowNanos) / 1e9
        return .seconds(max(0, Int(delta.rounded(.up))))
    }

    private static let httpDate: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return f
    }()
}
