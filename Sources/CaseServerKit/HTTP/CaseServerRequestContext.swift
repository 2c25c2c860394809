import Hummingbird
import NIOCore

/// The request context of the case server's routes: Hummingbird's basic context plus the
/// client's address (for `EnvelopeThrottle`) and the connection (for `ConnectionGuard`).
public struct CaseServerRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer: behind a load balancer, the balancer (see `ClientAddress`).
    public let remoteAddress: SocketAddress?
    public let channel: any Channel
    /// The console session the request came with, once the console's session middleware has
    /// checked its cookie; nil on the API and before sign-in.
    public var console: ConsoleSession?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }
}
