import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// `WebhookSender` over AsyncHTTPClient: TLS verified against the system's trust store, HTTP/1.1,
/// redirects not followed (a notification goes where the policy says, signed for it), the
/// answer's body read only for a failure's reason.
public final class HTTPWebhookSender: WebhookSender {
    private let client: HTTPClient
    private let userAgent: String
    private let clock: @Sendable () -> Int64

    public init(userAgent: String, clock: @escaping @Sendable () -> Int64) {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        var config = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow)
        config.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
        self.userAgent = userAgent
        self.clock = clock
    }

    public func shutdown() async throws { try await client.shutdown() }

    public func post(url: String, body: String, headers: [(String, String)], timeout: Duration) async -> WebhookOutcome
    {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: userAgent)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        do {
            // The timeout bounds the whole exchange, the answer's body included: an insurer
            // that sends its head and then trickles holds a slot no longer than one that hangs.
            let exchange: @Sendable () async throws -> WebhookOutcome = { [request] in
                try await self.exchange(request, timeout: timeout)
            }
            return try await Deadline.run(timeout, expired: { HTTPClientError.deadlineExceeded }, exchange)
        } catch {
            return .transport(Self.describe(error))
        }
    }

    private func exchange(_ request: HTTPClientRequest, timeout: Duration) async throws -> WebhookOutcome {
        let response = try await client.execute(request, timeout: .init(timeout))
        // The body matters only as a failure's reason; one longer than this is not read further.
        let bytes = try? await response.body.collect(upTo: 64 << 10)
        let detail = String(
            decoding: (bytes?.readableBytesView.prefix(200) ?? []).map { (0x20...0x7E).contains($0) ? $0 : 0x20 },
            as: UTF8.self
        ).trimmingCharacters(in: .whitespaces)
        return .status(
            Int(response.status.code),
            retryAfter: response.headers.first(name: "Retry-After").flatMap {
                DeliveryRules.parseRetryAfter($0, nowNanos: clock())
            },
            detail: detail.isEmpty ? nil : detail
        )
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? HTTPClientError {
            if e == .connectTimeout { return "connect timeout" }
            if e == .readTimeout || e == .deadlineExceeded { return "no answer within the timeout" }
            if e == .remoteConnectionClosed { return "the insurer closed the connection" }
        }
        if let e = error as? NIOSSLError { return "TLS: \(e)" }
        return "\(error)"
    }
}
