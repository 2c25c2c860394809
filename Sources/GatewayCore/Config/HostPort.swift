/// A "host:port" the configuration names (`[metrics] listen`, `[kiosk] listen`, `[gps] gpsd`),
/// parsed by one set of rules so that the three keys cannot drift apart.
///
/// The host is taken as written (a name or an address literal): resolving it is the
/// business of whoever binds or connects. An IPv6 literal needs brackets (`[::1]:8470`),
/// because its colons would otherwise be ambiguous with the port's.
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Port 0 means "any free port" where the address is listened on.
    public static let ports: ClosedRange<Int> = 0...65535

    /// The names and addresses that stay on this machine.
    public static let loopbackHosts: Set<String> = ["127.0.0.1", "localhost", "::1"]

    public var isLoopback: Bool { Self.loopbackHosts.contains(host) }

    /// As it is written in the configuration: an IPv6 host in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// What a key accepts beyond a plain "host:port".
    public struct Rules: Sendable, Equatable {
        /// Accept "[v6-address]:port" (only where the user of the address can reach IPv6).
        public var bracketedIPv6: Bool
        /// Accept only `loopbackHosts`: the address must not be reachable from the network.
        public var loopbackOnly: Bool

        public init(bracketedIPv6: Bool = false, loopbackOnly: Bool = false) {
            self.bracketedIPv6 = bracketedIPv6
            self.loopbackOnly = loopbackOnly
        }
    }

    /// Why a text is not an acceptable host:port.
    public enum ParseError: Error, Equatable {
        /// Not of the form host:port (or [v6]:port where that is allowed), or the host is empty.
        case notHostPort
        /// The port is not a number in `HostPort.ports`.
        case badPort
        /// A well-formed address that `Rules.loopbackOnly` refuses.
        case notLoopback
    }

    public static func parse(_ text: String, rules: Rules = Rules()) throws(ParseError) -> HostPort {
        let host: String
        let portText: Substring
        if rules.bracketedIPv6, text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw .notHostPort }
            portText = rest.dropFirst()
        } else {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw .notHostPort }
            host = String(parts[0])
            portText = parts[1]
        }
        guard !host.isEmpty else { throw .notHostPort }
        guard let port = Int(portText), ports.contains(port) else { throw .badPort }
        let address = HostPort(host: host, port: port)
        if rules.loopbackOnly && !address.isLoopback { throw .notLoopback }
        return address
    }
}
