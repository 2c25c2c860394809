import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle

/// Serves the Prometheus registry at `GET /metrics` on the configured loopback address
/// (`[metrics] listen`). Read-only; no scan content is ever a metric. If the address cannot be
/// bound the daemon goes on without it (logged): metrics are never worth a lost scan.
///
/// A few lines of NIO HTTP/1.1 rather than a web framework: an idle terminal should not wake
/// up (a framework's per-second Date header refresh does), and the binary stays smaller
/// (docs/performance.md, "Why the code looks this way").
public struct MetricsService: Service {
    let registry: PrometheusCollectorRegistry
    let host: String
    let port: Int
    let logger: Logger

    public init(registry: PrometheusCollectorRegistry, host: String, port: Int, logger: Logger) {
        self.registry = registry
        self.host = host
        self.port = port
        self.logger = logger
    }

    public func run() async throws {
        let registry = self.registry
        let channel: Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(MetricsHandler(registry: registry))
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            // A taken port must not stop scanning: say so and carry on without metrics.
            logger.error(
                "metrics endpoint cannot listen; running without it",
                metadata: [
                    "address": "\(host)", "port": "\(port)", "error": "\(error)",
                ]
            )
            // Returning would end the service group; wait for the daemon's shutdown instead.
            try? await gracefulShutdown()
            return
        }
        logger.info(
            "metrics listening",
            metadata: ["address": "\(host)", "port": "\(channel.localAddress?.port ?? 0)"]
        )
        await withGracefulShutdownHandler {
            try? await channel.closeFuture.get()
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
    }
}

/// `GET /metrics` → the registry as Prometheus text; anything else 404/405. One response per
/// connection (Connection: close): scrapes are rare and small.
private final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let registry: PrometheusCollectorRegistry
    var head: HTTPRequestHead?

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
        case .body:
            break
        case .end:
            guard let h = head else { return }
            head = nil
            let (status, body): (HTTPResponseStatus, [UInt8]) =
                h.method != .GET && h.method != .HEAD
                ? (.methodNotAllowed, Array("GET /metrics\n".utf8))
                : h.uri.split(separator: "?").first == "/metrics"
                    ? (.ok, registry.emitToBuffer())
                    : (.notFound, Array("GET /metrics\n".utf8))
            OneShotResponse.write(
                context,
                to: h,
                status: status,
                contentType: status == .ok ? "text/plain; version=0.0.4" : "text/plain",
                body: body
            )
        }
    }
}
