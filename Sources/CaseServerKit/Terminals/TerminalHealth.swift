import GatewayCore

/// Which terminals have gone quiet: from the heartbeats a server stored, each device's last
/// heartbeat and whether it is overdue — more than `factor` × its announced interval (plus a
/// grace for delivery) since it arrived. Pure: the caller passes the stored events and now.
public struct TerminalHealth: Sendable, Equatable {
    public var device: String
    public var lastHeartbeatNanos: Int64
    public var intervalS: Int
    public var spoolDepth: Int
    public var overdue: Bool

    public static func assess(
        _ events: [StoredEvent],
        nowNanos: Int64,
        factor: Double = 2,
        graceS: Int = 60
    ) -> [TerminalHealth] {
        var latest: [String: (Int64, Heartbeat)] = [:]
        for e in events {
            guard let ev = try? CaptureEvent.decode(Array(e.eventJSON.utf8)), ev.kind == "heartbeat",
                let hb = ev.heartbeat
            else { continue }
            if let cur = latest[e.device], cur.0 >= e.receivedAtNanos { continue }
            latest[e.device] = (e.receivedAtNanos, hb)
        }
        return latest.keys.sorted().map { device in
            let (at, hb) = latest[device]!
            let limit = Int64((Double(hb.intervalS) * factor + Double(graceS)) * 1e9)
            return TerminalHealth(
                device: device,
                lastHeartbeatNanos: at,
                intervalS: hb.intervalS,
                spoolDepth: hb.spoolDepth,
                overdue: nowNanos - at > limit
            )
        }
    }
}
