import Synchronization

/// The case server's two `FailureThrottle`s, shared by every request: one per device id named
/// in an envelope, one per client address. `CaseServerRoutes` asks it before opening anything
/// and tells it afterwards how many envelopes failed.
///
/// A throttled address is answered 429 at once: nothing it sends is opened. A throttled device
/// id is different, since anyone can write any device id into an envelope: junk under a real
/// terminal's id must not shut that terminal out. Its request is tried on one envelope of that
/// device (one DH, then cached for the real terminal's envelopes); if that opens, the request
/// goes on, else it is answered 429 and nothing more of it is opened.
public final class EnvelopeThrottle: Sendable {
    private struct State {
        var devices: FailureThrottle
        var addresses: FailureThrottle
    }

    private let state: Mutex<State>

    public init(devicePolicy: FailureThrottle.Policy = .init(), addressPolicy: FailureThrottle.Policy = .init()) {
        state = Mutex(
            State(devices: FailureThrottle(policy: devicePolicy), addresses: FailureThrottle(policy: addressPolicy))
        )
    }

    /// Seconds until the address is let in again, or nil. A nil address (an in-process test)
    /// is never throttled.
    public func retryAfter(address: String?, nowNanos: Int64) -> Int? {
        guard let address else { return nil }
        return state.withLock { $0.addresses.retryAfter(address, nowNanos: nowNanos) }
    }

    /// The throttled ones among `devices`, with their Retry-After in seconds.
    public func throttled(devices: Set<String>, nowNanos: Int64) -> [String: Int] {
        state.withLock { s in
            var out: [String: Int] = [:]
            for d in devices {
                if let wait = s.devices.retryAfter(d, nowNanos: nowNanos) { out[d] = wait }
            }
            return out
        }
    }

    /// What one `record` shut out: the device ids, and whether the address.
    public struct ShutOut: Sendable, Equatable {
        public var devices: [String] = []
        public var address = false
    }

    /// Counts envelopes that failed to open: `failures` per device id, their sum for the address.
    @discardableResult
    public func record(address: String?, failures: [String: Int], nowNanos: Int64) -> ShutOut {
        let total = failures.values.reduce(0, +)
        guard total > 0 else { return ShutOut() }
        return state.withLock { s in
            var shut = ShutOut()
            for (device, n) in failures.sorted(by: { $0.key < $1.key })
            where s.devices.recordFailures(n, for: device, nowNanos: nowNanos) {
                shut.devices.append(device)
            }
            shut.address = address.map { s.addresses.recordFailures(total, for: $0, nowNanos: nowNanos) } ?? false
            return shut
        }
    }
}
