import CoreMetrics
import GatewayCore

/// gatewayd's metrics through swift-metrics (a no-op until a backend is bootstrapped; the
/// daemon bootstraps Prometheus and serves it on loopback — `MetricsService`). Names follow
/// Prometheus conventions; labels are reader ids, classes and reason codes, never content.
public enum GatewayMetrics {
    /// Scans spooled, by reader and class (`subject`, `operator`, `config`, `unknown`).
    public static func scansSpooled(reader: String, byClass: [String: Int]) {
        for (c, n) in byClass {
            Counter(label: "gatewayd_scans_total", dimensions: [("reader", reader), ("class", c)]).increment(by: n)
        }
    }

    /// A scan that did not decode: a frame the reader discarded (`overlong`, `incomplete`,
    /// `checksum`) or a scan spooled as a misread of its format (`misread_gs1`, `misread_epc`…).
    public static func decodeFailure(reader: String, reason: String, count: Int = 1) {
        Counter(label: "gatewayd_decode_failures_total", dimensions: [("reader", reader), ("reason", reason)])
            .increment(by: count)
    }

    /// gpsd's fix mode as last reported (0 = not connected, 1 = no fix, 2 = 2D, 3 = 3D).
    public static func gpsFix(mode: Int) {
        Gauge(label: "gatewayd_gps_fix_mode").record(mode)
    }

    /// Whether a reader that manages its own connection (PC/SC: pcscd and a matching reader)
    /// is connected now.
    public static func readerConnected(_ connected: Bool, reader: String) {
        Gauge(label: "gatewayd_reader_connected", dimensions: [("reader", reader)]).record(connected ? 1 : 0)
    }

    /// Lines a reader produced that cannot be a label (`TextNoise`), delivered coalesced as
    /// `noise` misreads.
    public static func readerNoise(reader: String, lines: Int) {
        Counter(label: "gatewayd_reader_noise_total", dimensions: [("reader", reader)]).increment(by: lines)
    }

    /// 1 while the reader floods (`FloodMonitor`; any of its sessions, when a rule matched two
    /// devices).
    public static func readerFlooding(_ flooding: Bool, reader: String) {
        Gauge(label: "gatewayd_reader_flooding", dimensions: [("reader", reader)]).record(flooding ? 1 : 0)
    }

    /// A flood episode started.
    public static func readerFloodStarted(reader: String) {
        Counter(label: "gatewayd_reader_floods_total", dimensions: [("reader", reader)]).increment()
    }

    public static func spoolFull(_ full: Bool, reader: String) {
        Gauge(label: "gatewayd_reader_held", dimensions: [("reader", reader)]).record(full ? 1 : 0)
    }

    public static func dropped(_ count: Int) {
        Counter(label: "gatewayd_spool_dropped_total").increment(by: count)
    }

    public static func spool(depth: Int, bytes: Int, oldestAgeSeconds: Double?, deadLetters: Int) {
        Gauge(label: "gatewayd_spool_depth").record(depth)
        Gauge(label: "gatewayd_spool_bytes").record(bytes)
        Gauge(label: "gatewayd_spool_oldest_age_seconds").record(oldestAgeSeconds ?? 0)
        Gauge(label: "gatewayd_dead_letters").record(deadLetters)
    }

    public static func attempt(
        _ outcome: DeliveryOutcome,
        plan: ForwarderStateMachine.Plan,
        circuitOpen: Bool,
        seconds: Double
    ) {
        Timer(label: "gatewayd_forward_duration_seconds").recordSeconds(seconds)
        if let kind = FailureKind.of(outcome) {
            Counter(label: "gatewayd_forward_failures_total", dimensions: [("reason", kind)]).increment()
        }
        Counter(label: "gatewayd_delivered_total").increment(by: plan.remove.count)
        Counter(label: "gatewayd_dead_lettered_total").increment(by: plan.deadLetter.count)
        Gauge(label: "gatewayd_forward_circuit_open").record(circuitOpen ? 1 : 0)
    }
}
