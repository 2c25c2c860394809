import Foundation
import GatewayCore
import Logging
import Synchronization

/// Keeps what each capture needs to know about place, person and time: the last gpsd fix (via
/// `GPSState`), the operator session, the previous located event for the speed check. Called
/// from the capture path for every scan, after classification and before sealing.
public final class ContextTracker: Sendable {
    /// What captures change: the operator session and the last located event.
    private struct Moving {
        var session: OperatorSession?
        var previous: (lat: Double, lon: Double, monotonicNanos: UInt64)?
    }

    private let gps: GPSState?
    private let policy: FixPolicy
    private let maxSkewMs: Int
    private let fence: Geofence?
    private let moving: Mutex<Moving>
    private let logger: Logger

    public init(
        gps: GPSState?,
        policy: FixPolicy,
        maxSkewMs: Int,
        session: OperatorSession?,
        fence: Geofence?,
        logger: Logger
    ) {
        self.gps = gps
        self.policy = policy
        self.maxSkewMs = maxSkewMs
        self.moving = Mutex(Moving(session: session))
        self.fence = fence
        self.logger = logger
    }

    /// The location now, touching neither the operator session nor the speed check (for
    /// heartbeats: a status report is not a scan).
    public func locationNow(monotonicNanos: UInt64) -> Location? {
        guard let gps else { return nil }
        return policy.location(last: gps.snapshot().0, captureMonotonicNanos: monotonicNanos)
    }

    /// Whether sessions are tracked, and whether somebody is signed in now with how long the
    /// session has left — never who (the kiosk shows the pseudonym events carry).
    public func sessionNow(monotonicNanos now: UInt64) -> (tracked: Bool, signedIn: Bool, expiresInS: Int?) {
        moving.withLock { m in
            guard let s = m.session else { return (false, false, nil) }
            guard s.operatorID(at: now) != nil, let c = s.current else { return (true, false, nil) }
            let left = Int64(c.lastSeenNanos) + Int64(s.timeoutNanos) - Int64(now)
            return (true, true, Int(max(0, left) / 1_000_000_000))
        }
    }

    public func context(tag: TagClassification, scan: Scan) -> CaptureContext {
        moving.withLock { m in
            var c = CaptureContext()
            let now = scan.monotonicNanos
            if var s = m.session {
                switch s.observe(tag, at: now) {
                case .signedIn: logger.notice("operator signed in", metadata: ["reader": "\(scan.readerID)"])
                case .signedOut(_, let reason): logger.notice("operator signed out", metadata: ["reason": "\(reason)"])
                case .none: break
                }
                c.operatorID = s.operatorID(at: now)
                c.unidentified = c.operatorID == nil
                m.session = s
            }
            if let gps {
                let (last, skew) = gps.snapshot()
                let loc = policy.location(last: last, captureMonotonicNanos: now)
                c.location = loc
                c.clock = ClockQuality.assess(skewNanos: skew, maxSkewMs: maxSkewMs)
                if let fence, loc.fix != .none {
                    c.anomalies = fence.anomalies(loc, previous: m.previous, nowNanos: now)
                    m.previous = (loc.lat, loc.lon, now)
                }
            }
            return c
        }
    }
}
