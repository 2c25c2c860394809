import Foundation
import Hummingbird
import NIOCore

/// Which address a request is throttled under: the TCP peer's IP address. Behind a load
/// balancer that is the balancer's, shared by every terminal; only when the peer is one of
/// `trustedProxies` (`serve --trusted-proxy`) is the client taken from what the balancer says:
/// the PROXY protocol header it sent before the connection's first byte (`proxied`, haproxy
/// `send-proxy-v2`, for a balancer passing TLS through), else the last address of its
/// `X-Forwarded-For` (a balancer that speaks HTTP). Neither is believed from anyone else: a
/// client could write any address into them and dodge the throttle.
public enum ClientAddress {
    public static func of(
        peer: SocketAddress?,
        headers: HTTPFields,
        trustedProxies: Set<String>,
        proxied: String? = nil
    ) -> String? {
        guard let ip = peer?.ipAddress else { return nil }
        guard trustedProxies.contains(ip) else { return ip }
        if let proxied { return proxied }
        let forwarded = headers[values: .init("X-Forwarded-For")!].joined(separator: ",")
        guard
            let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces),
            !last.isEmpty
        else { return ip }
        return last
    }
}
