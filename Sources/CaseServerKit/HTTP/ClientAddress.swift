import Foundation
import Hummingbird
import NIOCore

/// Which address a request is throttled under: the TCP peer's IP address. Behind a load
/// balancer that is the balancer's, shared by every terminal; only when the peer is one of
/// `trustedProxies` (`serve --trusted-proxy`) is the last address of its `X-Forwarded-For`
/// used instead — the one that balancer saw. X-Forwarded-For from anyone else is ignored: a
/// client could write any address into it and dodge the throttle.
public enum ClientAddress {
    public static func of(peer: SocketAddress?, headers: HTTPFields, trustedProxies: Set<String>) -> String? {
        guard let ip = peer?.ipAddress else { return nil }
        guard trustedProxies.contains(ip) else { return ip }
        let forwarded = headers[values: .init("X-Forwarded-For")!].joined(separator: ",")
        guard
            let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces),
            !last.isEmpty
        else { return ip }
        return last
    }
}
