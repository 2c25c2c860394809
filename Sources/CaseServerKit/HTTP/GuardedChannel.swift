import HummingbirdCore
import Logging
import NIOCore

/// A server child channel with a `ConnectionGuardHandler` and a `ProxyProtocolHandler` in
/// front of `base` (TLS and HTTP): `serve` builds its server from it so the connection bound
/// and the timeouts hold before a TLS handshake is even begun, and a trusted balancer's PROXY
/// header is taken off before TLS sees the stream.
public struct GuardedChannel<Base: ServerChildChannel>: ServerChildChannel {
    public typealias Value = Base.Value

    let base: Base
    let budget: ConnectionBudget
    let limits: ConnectionTimeouts.Limits
    let trustedProxies: Set<String>

    public init(
        _ base: Base,
        budget: ConnectionBudget,
        limits: ConnectionTimeouts.Limits,
        trustedProxies: Set<String> = []
    ) {
        self.base = base
        self.budget = budget
        self.limits = limits
        self.trustedProxies = trustedProxies
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            if !trustedProxies.isEmpty {
                try channel.pipeline.syncOperations.addHandler(
                    ProxyProtocolHandler(trustedProxies: trustedProxies),
                    position: .first
                )
            }
            try channel.pipeline.syncOperations.addHandler(
                ConnectionGuardHandler(budget: budget, limits: limits, logger: logger),
                position: .first
            )
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
