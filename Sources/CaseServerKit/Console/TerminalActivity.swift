import GatewayCore

/// A terminal's last 24 hours from the events the server stored: scans per hour (by when they
/// were made, as the terminal's clock says, else when they arrived) and its spool depth as each
/// heartbeat reported it. Pure: events and now in.
public struct TerminalActivity: Sendable, Equatable {
    /// Oldest hour first; the last is the hour ending now.
    public var scansPerHour: [Int]
    /// Each heartbeat's spool depth, at its place in the window (0 = 24 h ago, 1 = now).
    public var spool: [(at: Double, depth: Int)]

    public static func == (a: TerminalActivity, b: TerminalActivity) -> Bool {
        a.scansPerHour == b.scansPerHour && a.spool.map(\.at) == b.spool.map(\.at)
            && a.spool.map(\.depth) == b.spool.map(\.depth)
    }

    public static let hours = 24
    static let hourNanos: Int64 = 3_600_000_000_000

    public init(scansPerHour: [Int], spool: [(at: Double, depth: Int)]) {
        self.scansPerHour = scansPerHour
        self.spool = spool
    }

    /// Every device's activity, by device.
    public static func assess(_ events: [StoredEvent], nowNanos: Int64) -> [String: TerminalActivity] {
        let start = nowNanos - Int64(hours) * hourNanos
        var out: [String: TerminalActivity] = [:]
        for e in events {
            guard let ev = try? CaptureEvent.decode(Array(e.eventJSON.utf8)) else { continue }
            let captured = RFC3339.parseUnixNanos(ev.capturedAt)
            let at = captured.flatMap { $0 >= start && $0 <= nowNanos ? $0 : nil } ?? e.receivedAtNanos
            guard at >= start, at <= nowNanos else { continue }
            var a = out[e.device] ?? TerminalActivity(scansPerHour: Array(repeating: 0, count: hours), spool: [])
            switch ev.kind {
            case nil:
                let hour = min(hours - 1, Int((at - start) / hourNanos))
                a.scansPerHour[hour] += 1
            case "heartbeat":
                if let hb = ev.heartbeat {
                    a.spool.append((Double(at - start) / Double(nowNanos - start), hb.spoolDepth))
                }
            default:
                continue
            }
            out[e.device] = a
        }
        for k in out.keys { out[k]!.spool.sort { $0.at < $1.at } }
        return out
    }
}
