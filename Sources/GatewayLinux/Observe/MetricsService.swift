import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// Serves the Prometheus registry at `GET /metrics` on the configured loopback address
/// (`[metrics] listen`). Read-only; no scan content is ever a metric. If the address cannot be
/// bound the daemon goes on without it (logged): metrics are never worth a lost scan.
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
        let router = Router()
        let registry = self.registry
        router.get("/metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        let logger = self.logger
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "gatewayd"),
            onServerRunning: { channel in
                logger.info("metrics listening", metadata: ["address": "\(host)", "port": "\(channel.localAddress?.port ?? 0)"])
            },
            logger: Logger(label: "gatewayd.metrics", factory: { _ in SwiftLogNoOpLogHandler() }))
        do {
            try await app.runService()
        } catch {
            // A taken port must not stop scanning: say so and carry on without metrics.
            logger.error("metrics endpoint cannot listen; running without it", metadata: [
                "address": "\(host)", "port": "\(port)", "error": "\(error)",
            ])
            try? await gracefulShutdown()
        }
    }
}
