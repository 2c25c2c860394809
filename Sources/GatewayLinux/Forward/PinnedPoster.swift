import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS

/// One HTTPS POST over a fresh connection whose server must, besides passing normal
/// certificate verification, present a certificate chain holding one of the pinned public keys
/// (`[server] pin_sha256`: base64 SHA-256 of a SubjectPublicKeyInfo, as in RFC 7469).
///
/// AsyncHTTPClient has no hook into the TLS handshake, so a pinned deliverer uses this small
/// NIO pipeline instead: TLS (with a per-certificate callback that records the chain's key
/// hashes and keeps BoringSSL's verdict), HTTP/1.1, and a handler that sends the request only
/// once the handshake is complete and the pin matched — an unpinned server never sees a byte of
/// the batch. Timeouts as in `HTTPDeliverer`: connect, read (silence), and the whole exchange.
///
/// With no pins it is the same exchange without the pin check: `--probe` uses it to see the
/// certificate chain (subjects, expiry, key hashes) and the server's `Date`.
final class PinnedPoster: Sendable {
    let host: String
    let port: Int
    let path: String
    let context: NIOSSLContext
    let pins: Set<String>
    let connectTimeout: Duration
    let readTimeout: Duration
    let requestTimeout: Duration

    init(
        url: URL,
        tls: TLSConfiguration,
        pins: [String],
        connectTimeout: Duration,
        readTimeout: Duration,
        requestTimeout: Duration
    ) throws {
        guard let host = url.host else { throw PinError.badURL }
        self.host = host
        port = url.port ?? 443
        path = url.path.isEmpty ? "/" : url.path
        context = try NIOSSLContext(configuration: tls)
        self.pins = Set(pins)
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.requestTimeout = requestTimeout
    }

    /// base64(SHA-256(SubjectPublicKeyInfo DER)) of a certificate's key.
    static func pin(of cert: NIOSSLCertificate) -> String? {
        guard let spki = try? cert.extractPublicKey().toSPKIBytes() else { return nil }
        return Data(SHA256.hash(data: spki)).base64EncodedString()
    }

    /// A certificate of the server's chain as the handshake presented it.
    struct SeenCertificate: Sendable, Equatable {
        var pin: String?
        var subject: String
        /// Seconds since the Unix epoch.
        var notAfter: Int64

        init(_ cert: NIOSSLCertificate) {
            pin = PinnedPoster.pin(of: cert)
            let names = cert._subjectAlternativeNames().compactMap { n -> String? in
                n.nameType == .dnsName ? String(decoding: n.contents, as: UTF8.self) : nil
            }
            // NIOSSL keeps commonName() internal; its description carries it.
            let cn = "\(cert)".split(separator: ";").first { $0.hasPrefix("common_name=") }.map {
                String($0.dropFirst("common_name=".count)).trimmingCharacters(in: CharacterSet(charactersIn: ">"))
            }
            subject =
                cn.map { "CN=\($0)" + (names.isEmpty ? "" : " (\(names.joined(separator: ", ")))") }
                ?? names.joined(separator: ", ")
            notAfter = Int64(cert.notValidAfter)
        }
    }

    struct Response {
        var status: Int
        var headers: HTTPHeaders
        var body: ByteBuffer
        /// Leaf first.
        var chain: [SeenCertificate]
    }

    enum PinError: Error, CustomStringConvertible {
        case badURL
        case pinMismatch(seen: [String])
        case readTimeout
        case requestTimeout
        case closedEarly

        var description: String {
            switch self {
            case .badURL: return "server URL has no host"
            case .pinMismatch(let seen):
                return
                    "TLS: the server's certificate chain holds none of the pinned keys (pin_sha256); it presented \(seen.joined(separator: ", "))"
            case .readTimeout: return "read timeout"
            case .requestTimeout: return "request timeout"
            case .closedEarly: return "server closed the connection"
            }
        }
    }

    /// - Parameter seen: receives the chain as the handshake presented it, also when the
    ///   handshake or pin check fails (the probe shows what the server offered).
    /// - Parameters:
    ///   - method, path: POST to the URL's path unless told otherwise (`GET /v1/cases/…`).
    func post(
        body: ByteBuffer,
        headers: HTTPHeaders,
        seen: NIOLockedValueBox<[SeenCertificate]> = .init([]),
        method: HTTPMethod = .POST,
        path requestPath: String? = nil
    ) async throws -> Response {
        let group = MultiThreadedEventLoopGroup.singleton
        let loop = group.next()
        let promise = loop.makePromise(of: Response.self)
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: requestPath ?? path)
        head.headers = headers
        head.headers.replaceOrAdd(name: "Host", value: port == 443 ? host : "\(host):\(port)")
        head.headers.replaceOrAdd(name: "Content-Length", value: "\(body.readableBytes)")
        head.headers.replaceOrAdd(name: "Connection", value: "close")
        let hostIsIP = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(connectTimeout))
            .channelInitializer { [context, host, readTimeout, head, pins] channel in
                channel.eventLoop.makeCompletedFuture {
                    let tls = try NIOSSLClientHandler(context: context, serverHostname: hostIsIP ? nil : host) {
                        verdict,
                        cert in
                        // OpenSSL calls this from the root down to the leaf.
                        seen.withLockedValue { $0.insert(SeenCertificate(cert), at: 0) }
                        return verdict
                    }
                    try channel.pipeline.syncOperations.addHandler(tls)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        IdleStateHandler(readTimeout: TimeAmount(readTimeout))
                    )
                    try channel.pipeline.syncOperations.addHandler(
                        ExchangeHandler(head: head, body: body, pins: pins, seen: seen, promise: promise)
                    )
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            // No channel, so no handler will ever complete the promise: fail it here (a
            // promise left pending is a leak NIO traps on).
            promise.fail(error)
            throw error
        }
        let deadline = loop.scheduleTask(in: TimeAmount(requestTimeout)) {
            promise.fail(PinError.requestTimeout)
            channel.close(promise: nil)
        }
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        return try await promise.futureResult.get()
    }
}

/// Sends the request after a pinned handshake, collects the response, fails on a timeout.
private final class ExchangeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let head: HTTPRequestHead
    let body: ByteBuffer
    let pins: Set<String>
    /// The chain as BoringSSL verified it, from the event loop's callback.
    let seen: NIOLockedValueBox<[PinnedPoster.SeenCertificate]>
    let promise: EventLoopPromise<PinnedPoster.Response>
    var response: PinnedPoster.Response?

    init(
        head: HTTPRequestHead,
        body: ByteBuffer,
        pins: Set<String>,
        seen: NIOLockedValueBox<[PinnedPoster.SeenCertificate]>,
        promise: EventLoopPromise<PinnedPoster.Response>
    ) {
        self.head = head
        self.body = body
        self.pins = pins
        self.seen = seen
        self.promise = promise
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            let chain = seen.withLockedValue { $0.compactMap(\.pin) }
            guard pins.isEmpty || chain.contains(where: pins.contains) else {
                promise.fail(PinnedPoster.PinError.pinMismatch(seen: chain))
                context.close(promise: nil)
                return
            }
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            promise.fail(PinnedPoster.PinError.readTimeout)
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            response = .init(
                status: Int(h.status.code),
                headers: h.headers,
                body: context.channel.allocator.buffer(capacity: 0),
                chain: seen.withLockedValue { $0 }
            )
        case .body(var b):
            response?.body.writeBuffer(&b)
        case .end:
            if let response { promise.succeed(response) } else { promise.fail(PinnedPoster.PinError.closedEarly) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(PinnedPoster.PinError.closedEarly)
        context.fireChannelInactive()
    }
}
