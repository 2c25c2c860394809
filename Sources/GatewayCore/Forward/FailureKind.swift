/// A failed delivery's reason reduced to a small fixed set, for a metric label (free text
/// would make one time series per error message).
public enum FailureKind {
    public static func of(_ outcome: DeliveryOutcome) -> String? {
        switch outcome {
        case .results: return nil
        case .httpStatus(let code, _, _): return "http_\(code)"
        case .transportFailure(let reason):
            let r = reason.lowercased()
            if r.contains("pinned") { return "tls_pin" }
            if r.contains("tls") || r.contains("certificate") || r.contains("handshake") { return "tls" }
            if r.contains("connect timeout") { return "connect_timeout" }
            if r.contains("read timeout") { return "read_timeout" }
            if r.contains("request timeout") || r.contains("deadline") { return "request_timeout" }
            if r.contains("refused") { return "connection_refused" }
            if r.contains("reset") || r.contains("closed") || r.contains("eof") { return "connection_reset" }
            if r.contains("results document") { return "bad_answer" }
            return "other"
        }
    }
}
