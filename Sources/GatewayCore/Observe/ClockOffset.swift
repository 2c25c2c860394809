/// How far this terminal's clock is from a server's, read from one HTTP exchange.
///
/// The server stamped its `Date` header (whole seconds, RFC 9110 §6.6.1) at some instant
/// between the moment the probe sent its request and the moment the answer came back. So the
/// only thing one exchange proves is an interval: the terminal's offset lies in
/// `[sent − (date + 1 s), received − date]`. The midpoint of that interval is the estimate the
/// probe prints; the interval is what decides a warning.
///
/// Why not warn on the estimate: over a slow link the interval is wide and the server may stamp
/// `Date` anywhere in it. CI showed a terminal whose clock was right reported "−3 s" after an
/// 8.2 s exchange (a QEMU guest without KVM doing its TLS handshake), which a threshold on the
/// estimate turned into a false "check NTP". A warning is given only when every offset the
/// exchange allows is beyond the limit; when the interval is too wide to tell either way, the
/// probe says that instead.
public struct ClockOffset: Sendable, Equatable {
    /// Lowest and highest offset (terminal minus server) the exchange allows, in ms.
    public let lowMs: Int64
    public let highMs: Int64

    /// The midpoint: the figure to print, ± `uncertaintyMs`.
    public var estimateMs: Int64 { lowMs + (highMs - lowMs) / 2 }
    public var uncertaintyMs: Int64 { (highMs - lowMs + 1) / 2 }

    /// - Parameters:
    ///   - sentAtNanos: terminal wall clock just before the request went out.
    ///   - receivedAtNanos: terminal wall clock when the answer's head arrived.
    ///   - serverDateSeconds: the answer's `Date`, seconds since the Unix epoch.
    public init(sentAtNanos: Int64, receivedAtNanos: Int64, serverDateSeconds: Int64) {
        let dateMs = serverDateSeconds * 1000
        let sentMs = sentAtNanos / 1_000_000
        // A clock stepped backwards during the exchange makes `received < sent`; the interval is
        // then taken the right way round so that it still contains every allowed offset.
        let receivedMs = max(receivedAtNanos / 1_000_000, sentMs)
        lowMs = sentMs - (dateMs + 1000)
        highMs = receivedMs - dateMs
    }

    public enum Verdict: Sendable, Equatable {
        /// The offset is certainly within ±limit.
        case within
        /// The offset is certainly beyond ±limit (in the estimate's direction).
        case beyond
        /// The exchange is too slow to tell: the interval reaches both sides of the limit.
        case unknown
    }

    public func verdict(limitMs: Int64) -> Verdict {
        if lowMs > limitMs || highMs < -limitMs { return .beyond }
        if lowMs >= -limitMs && highMs <= limitMs { return .within }
        return .unknown
    }
}
