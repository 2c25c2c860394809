import NIOCore
import Synchronization

/// Second in each connection's pipeline (after `ConnectionGuardHandler`, before TLS): on a
/// connection from a trusted load balancer (`serve --trusted-proxy`), takes the PROXY protocol
/// header (`ProxyHeader`) off the front of the stream and records the client address it names
/// in `ProxiedClients`, where the request context finds it; the rest of the stream goes on
/// untouched. A connection from anyone else is passed through as it is, so nobody but the
/// balancer can claim an address. A trusted peer's connection without a header (a balancer
/// that does not send one) passes too, under the balancer's own address.
public final class ProxyProtocolHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    private let trusted: Set<String>
    private var pending: ByteBuffer?

    public init(trustedProxies: Set<String>) {
        self.trusted = trustedProxies
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        guard let peer = context.channel.remoteAddress?.ipAddress, trusted.contains(peer) else {
            return pass(bytes, context)
        }
        if var p = pending {
            p.writeBuffer(&bytes)
            bytes = p
        }
        switch ProxyHeader.parse(bytes.readableBytesView) {
        case .needMore:
            pending = bytes
        case .absent:
            pass(bytes, context)
        case .header(let length, let source):
            if let source { ProxiedClients.shared.record(source, for: context.channel) }
            bytes.moveReaderIndex(forwardBy: length)
            pass(bytes, context)
        case .malformed:
            context.close(promise: nil)
        }
    }

    /// Forwards what is left and leaves the pipeline: the header comes once per connection.
    private func pass(_ bytes: ByteBuffer, _ context: ChannelHandlerContext) {
        pending = nil
        if bytes.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(bytes)) }
        context.pipeline.removeHandler(context: context, promise: nil)
    }
}

/// The client addresses PROXY headers named, by connection, for as long as each is open.
public final class ProxiedClients: Sendable {
    public static let shared = ProxiedClients()

    private let addresses = Mutex<[ObjectIdentifier: String]>([:])

    func record(_ address: String, for channel: any Channel) {
        let id = ObjectIdentifier(channel)
        addresses.withLock { $0[id] = address }
        channel.closeFuture.whenComplete { [self] _ in _ = addresses.withLock { $0.removeValue(forKey: id) } }
    }

    /// The client behind the balancer on `channel`, if its PROXY header named one.
    public func address(of channel: any Channel) -> String? {
        addresses.withLock { $0[ObjectIdentifier(channel)] }
    }

    var count: Int { addresses.withLock { $0.count } }
}
