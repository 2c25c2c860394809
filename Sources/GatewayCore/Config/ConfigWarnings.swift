/// Things a valid configuration allows but a technician should know about, for `--probe`
/// and the reload log line. None stops the daemon; each says what it means and what to change.
public enum ConfigWarnings {
    public static func of(_ c: GatewayConfig, nowNanos: Int64) -> [String] {
        var w: [String] = []
        if c.readers.isEmpty {
            w.append("no [[reader]] is configured: nothing will be scanned")
        }
        if !RedactionRule.builtIn.allSatisfy(c.redact.rules.contains) {
            w.append("[redact] builtin = false: only this site's own rules keep personal data off the wire")
        }
        if c.spool.limits.overflow == .dropOldest {
            w.append(
                "[spool] overflow = \"drop_oldest\": when the spool is full the oldest scans are deleted (\"block\" loses none)"
            )
        }
        if c.heartbeatInterval == nil {
            w.append("[heartbeat] interval_s = 0: the case server cannot tell that this terminal is alive")
        }
        if let next = c.server.next, next.fromNanos <= nowNanos {
            w.append(
                "[server] next_public_key is in use since \(RFC3339.format(unixNanos: next.fromNanos)): make it public_key and remove next_*"
            )
        }
        if c.server.pins.isEmpty && c.server.caPath == nil {
            w.append("[server] has neither ca nor pin_sha256: any CA in the system store can vouch for the case server")
        }
        if let k = c.kiosk, !k.isLoopback {
            w.append(
                "[kiosk] listen = \"\(k.listen)\": the feedback page (recent scans as redacted, case progress,"
                    + " GPS fix, probe results) is reachable from the network, without a password"
            )
        }
        return w
    }
}
