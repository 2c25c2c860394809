/// What a SIGHUP reload does with a new, valid configuration, decided before anything is
/// touched (pure, so each case is unit-tested).
///
/// - Applied at once: schemas, redaction rules and site key, server URL/keys/TLS/pins (new
///   scans are sealed and sent with them), and readers — a reader whose device settings did
///   not change keeps its device open and never misses a byte; one whose role or decode hint
///   alone changed keeps it open too (those act in the decoder).
/// - Reopened: a reader whose own device settings changed (path, match rule, kind, baud,
///   framing, layout, max_line, dedup). It finishes its current commit, closes and reopens.
/// - Refused (the old configuration keeps running): a different `device.id` or spool path —
///   sequence numbers and the spool belong to both; restart to change them.
/// - Kept until the next restart (logged): `[spool]` limits, `[forward]` batching and backoff,
///   `[gps]`, `[operator]`, `[geofence]`, `[heartbeat]`, `[metrics]`, `[kiosk]`.
public struct ReloadPlan: Sendable, Equatable {
    public var refused: String?
    public var added: [String] = []
    public var removed: [String] = []
    public var reopened: [String] = []
    public var pendingRestart: [String] = []

    public init() {}

    public static func between(_ old: GatewayConfig, _ new: GatewayConfig) -> ReloadPlan {
        var plan = ReloadPlan()
        if old.device.id != new.device.id {
            plan.refused =
                "device.id changed from \(old.device.id) to \(new.device.id): restart gatewayd to change it (sequence numbers belong to the id)"
            return plan
        }
        if old.spool.path != new.spool.path {
            plan.refused = "spool.path changed: restart gatewayd to move the spool (the running one holds scans)"
            return plan
        }
        let before = Dictionary(old.readers.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(new.readers.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        plan.added = new.readers.map(\.id).filter { before[$0] == nil }
        plan.removed = old.readers.map(\.id).filter { after[$0] == nil }
        plan.reopened = new.readers.compactMap { r in
            guard let o = before[r.id], sessionSettings(o) != sessionSettings(r) else { return nil }
            return r.id
        }
        if old.spool.limits != new.spool.limits { plan.pendingRestart.append("[spool] limits") }
        if old.forward != new.forward {
            // Timeouts go with the new deliverer; batching and backoff stay until a restart.
            var a = old.forward
            let b = new.forward
            (a.connectTimeout, a.readTimeout, a.requestTimeout) = (b.connectTimeout, b.readTimeout, b.requestTimeout)
            if a != b { plan.pendingRestart.append("[forward] batching and backoff") }
        }
        if old.gps != new.gps { plan.pendingRestart.append("[gps]") }
        if old.operatorSessions != new.operatorSessions { plan.pendingRestart.append("[operator]") }
        if old.geofence != new.geofence { plan.pendingRestart.append("[geofence]") }
        if old.heartbeatInterval != new.heartbeatInterval { plan.pendingRestart.append("[heartbeat]") }
        if old.kiosk != new.kiosk { plan.pendingRestart.append("[kiosk]") }
        if old.metricsListen != new.metricsListen { plan.pendingRestart.append("[metrics]") }
        return plan
    }

    /// A reader's settings that its open device session uses; role and decode hint act later,
    /// in the decoder, and change without reopening — except whether the hint makes the
    /// reader's bytes binary, which decides what its session counts as noise (`framesText`).
    public static func sessionSettings(_ r: GatewayConfig.Reader) -> GatewayConfig.Reader {
        var s = r
        s.role = nil
        // Two hints that agree on text or binary compare equal.
        s.decode = r.framesText ? .auto : .epc
        return s
    }
}
