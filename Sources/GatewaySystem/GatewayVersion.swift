/// The version gatewayd reports in its User-Agent, heartbeats and `--version`.
public enum GatewayVersion {
    public static let string = "0.1.0"
}
