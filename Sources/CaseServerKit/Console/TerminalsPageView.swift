import GatewayCore

/// The terminals page's values: every terminal the server knows of, overdue ones first, with
/// its last heartbeat (spool depth, dead letters, version, GPS fix) and its last 24 hours as a
/// chart. Pure: the roster, the latest heartbeats and the window's activity in.
public enum TerminalsPageView {
    public static func values(
        roster: [TerminalRoster],
        latestHeartbeats: [StoredEvent],
        activity: [String: TerminalActivity],
        user: ConsoleUser,
        nowNanos: Int64
    ) -> [String: Any] {
        let t = user.catalog
        var beats: [String: Heartbeat] = [:]
        for e in latestHeartbeats {
            if let hb = (try? CaptureEvent.decode(Array(e.eventJSON.utf8)))?.heartbeat { beats[e.device] = hb }
        }
        let ordered = roster.enumerated().sorted { a, b in
            a.element.needsAttention != b.element.needsAttention ? a.element.needsAttention : a.offset < b.offset
        }.map(\.element)
        let rows = ordered.map { r -> [String: Any] in
            let hb = beats[r.device]
            let state =
                r.revokedAtNanos != nil ? "revoked" : r.health.map { $0.overdue ? "overdue" : "ok" } ?? "silent"
            let a =
                activity[r.device]
                ?? TerminalActivity(
                    scansPerHour: Array(repeating: 0, count: TerminalActivity.hours),
                    spool: []
                )
            return [
                "device": r.device,
                "state": state,
                "stateLabel": t["terminals.state_\(state)"],
                "attention": r.needsAttention,
                "lastHeartbeat": r.health.map { ConsolePageText.dateTime($0.lastHeartbeatNanos, user) } ?? "–",
                "ago": r.health.map { ConsolePageText.age($0.lastHeartbeatNanos, now: nowNanos, t) } ?? "",
                "spool": hb.map { String($0.spoolDepth) } ?? "–",
                "deadLetters": hb.map { String($0.deadLetters) } ?? "–",
                "hasDeadLetters": (hb?.deadLetters ?? 0) > 0,
                "version": hb?.version ?? "–",
                "fix": hb.map { t.strings["terminals.fix_\($0.fix ?? "unknown")"] ?? ($0.fix ?? "") } ?? "–",
                "chart": TerminalChart.render(
                    a,
                    words: .init(
                        title: t.format("terminals.chart_title", ["device": r.device]),
                        scansMax: t["terminals.chart_scans_max"],
                        spoolMax: t["terminals.chart_spool_max"]
                    )
                ),
            ]
        }
        return ["terminals": rows, "hasTerminals": !rows.isEmpty]
    }
}
