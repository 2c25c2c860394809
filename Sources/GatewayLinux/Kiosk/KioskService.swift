import Foundation
import GatewayCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// Serves the kiosk page for the person at the terminal (`[kiosk] listen`, loopback by
/// default) and the technician page with the `--probe` result:
///
///     GET /             the kiosk page (KioskPage.kiosk)
///     GET /events       server-sent events: a `state` event (KioskState JSON) at once, on
///                       every change (coalesced over 50 ms) and every 5 s; `retry: 1000`
///     GET /api/state    the same document, once
///     GET /technician   the technician page; GET /api/probe runs the probe (ProbeReport JSON)
///     POST /api/reply   the person's answer to a case message: {"case", "message", "answer"};
///                       spooled as a sealed `reply` event (`CaptureSink.commitReply`), answered
///                       with the reply as sealed (KioskState.ReplyView JSON)
///
/// Both pages speak `language` (`[kiosk] language`). A reply must come as `application/json`
/// and, when the browser says where from (`Origin`), from this page: another site's page in the
/// same browser cannot post one (a cross-site form cannot send JSON, and its origin differs).
/// Plain NIO HTTP/1.1 like the metrics endpoint. A port that cannot be bound is logged and the
/// daemon goes on without the page: feedback is never worth a lost scan. The page holds only
/// what redaction leaves (`KioskState`); the only change it can make is a reply.
public struct KioskService: Service {
    let hub: FeedbackHub
    let host: String
    let port: Int
    let configPath: String?
    let language: UILanguage
    let reply: KioskHandler.Replier?
    let logger: Logger

    /// - Parameter reply: spools a reply (`CaptureSink.commitReply`; blocking, run on a thread
    ///   of its own); nil: replies are refused (503).
    public init(
        hub: FeedbackHub,
        host: String,
        port: Int,
        configPath: String?,
        language: UILanguage = .english,
        reply: (@Sendable (CaseReply, String) throws -> KioskState.ReplyView?)? = nil,
        logger: Logger
    ) {
        self.hub = hub
        self.host = host
        self.port = port
        self.configPath = configPath
        self.language = language
        self.reply = reply
        self.logger = logger
    }

    public func run() async throws {
        let streams = EventStreams(hub: hub)
        let pages = KioskHandler.Pages(language: language)
        let (hub, configPath, reply, logger) = (self.hub, self.configPath, self.reply, self.logger)
        let channel: Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(
                            KioskHandler(
                                hub: hub,
                                streams: streams,
                                pages: pages,
                                configPath: configPath,
                                reply: reply,
                                logger: logger
                            )
                        )
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            logger.error(
                "kiosk page cannot listen; running without it",
                metadata: ["address": "\(host)", "port": "\(port)", "error": "\(error)"]
            )
            try? await gracefulShutdown()
            return
        }
        logger.info("kiosk listening", metadata: ["address": "\(host)", "port": "\(channel.localAddress?.port ?? 0)"])
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await streams.broadcast() }
                group.addTask { try? await channel.closeFuture.get() }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            streams.closeAll()
            channel.close(promise: nil)
        }
    }
}

/// The open `/events` streams, and the loop that sends them the state.
final class EventStreams: Sendable {
    private let hub: FeedbackHub
    private let channels = NIOLockedValueBox<[ObjectIdentifier: Channel]>([:])

    init(hub: FeedbackHub) {
        self.hub = hub
    }

    /// Sorted keys, as every JSON document gatewayd writes; safe to share between threads.
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static func event(_ state: KioskState) -> ByteBuffer {
        let json = (try? encoder.encode(state)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return ByteBuffer(string: "event: state\ndata: \(json)\n\n")
    }

    func add(_ channel: Channel) {
        channels.withLockedValue { $0[ObjectIdentifier(channel)] = channel }
        hub.viewerJoined()
        channel.closeFuture.whenComplete { [weak self] _ in
            guard let self else { return }
            let removed = self.channels.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(channel)) }
            if removed != nil { self.hub.viewerLeft() }
        }
    }

    func send(_ buffer: ByteBuffer) {
        for c in channels.withLockedValue({ Array($0.values) }) {
            c.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        }
    }

    /// On every change (bursts coalesced over 50 ms) and every 5 s while a page is open, so
    /// clocks, fixes and session times stay current; nothing at all while none is.
    func broadcast() async {
        let changes = hub.changes()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                for await _ in changes {
                    try? await Task.sleep(for: .milliseconds(50))
                    if channels.withLockedValue({ !$0.isEmpty }) { send(Self.event(hub.snapshot())) }
                }
            }
            group.addTask { [self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(5))
                    if channels.withLockedValue({ !$0.isEmpty }) { send(Self.event(hub.snapshot())) }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    func closeAll() {
        for c in channels.withLockedValue({ Array($0.values) }) {
            c.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in c.close(promise: nil) }
        }
    }
}

final class KioskHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    typealias Replier = @Sendable (CaseReply, String) throws -> KioskState.ReplyView?

    /// The two pages in the configured language, made once.
    struct Pages: Sendable {
        let kiosk: [UInt8]
        let technician: [UInt8]

        init(language: UILanguage) {
            kiosk = Array(KioskPage.render(KioskPage.kiosk, language: language).utf8)
            technician = Array(KioskPage.render(KioskPage.technician, language: language).utf8)
        }
    }

    /// A reply is a sentence or two: a larger body is refused unread.
    static let maxReplyBody = 8 << 10

    let hub: FeedbackHub
    let streams: EventStreams
    let pages: Pages
    let configPath: String?
    let reply: Replier?
    let logger: Logger
    var head: HTTPRequestHead?
    var body: [UInt8] = []
    var bodyTooLarge = false

    init(
        hub: FeedbackHub,
        streams: EventStreams,
        pages: Pages,
        configPath: String?,
        reply: Replier?,
        logger: Logger
    ) {
        self.hub = hub
        self.streams = streams
        self.pages = pages
        self.configPath = configPath
        self.reply = reply
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
            bodyTooLarge = false
        case .body(var b):
            if body.count + b.readableBytes > Self.maxReplyBody {
                bodyTooLarge = true
            } else if let bytes = b.readBytes(length: b.readableBytes) {
                body += bytes
            }
        case .end:
            guard let h = head else { return }
            head = nil
            route(h, context: context)
        }
    }

    func route(_ h: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = h.uri.split(separator: "?").first.map(String.init) ?? "/"
        guard KioskHost.isDirect(h.headers["Host"].first) else {
            return respond(
                context,
                h,
                .misdirectedRequest,
                "text/plain",
                Array("open the kiosk by its IP address or localhost (other names are refused: DNS rebinding)\n".utf8)
            )
        }
        if h.method == .POST, path == "/api/reply" { return postReply(context, h) }
        guard h.method == .GET || h.method == .HEAD else {
            return respond(context, h, .methodNotAllowed, "text/plain", Array("GET only (and POST /api/reply)\n".utf8))
        }
        switch path {
        case "/", "/index.html":
            respond(context, h, .ok, "text/html; charset=utf-8", pages.kiosk)
        case "/technician":
            respond(context, h, .ok, "text/html; charset=utf-8", pages.technician)
        case "/api/state":
            respond(
                context,
                h,
                .ok,
                "application/json",
                Array((try? EventStreams.encoder.encode(hub.snapshot())) ?? Data())
            )
        case "/api/probe":
            probe(context, h)
        case "/events":
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/event-stream")
            headers.add(name: "Cache-Control", value: "no-store")
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: h.version, status: .ok, headers: headers))),
                promise: nil
            )
            var first = ByteBuffer(string: "retry: 1000\n\n")
            var state = EventStreams.event(hub.snapshot())
            first.writeBuffer(&state)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(first))), promise: nil)
            streams.add(context.channel)
        default:
            respond(context, h, .notFound, "text/plain", Array("not here: try / or /technician\n".utf8))
        }
    }

    /// Checks a reply and spools it on a thread of its own (a spool commit writes and fsyncs: never
    /// on the event loop), then answers. Logs carry ids only.
    func postReply(_ context: ChannelHandlerContext, _ h: HTTPRequestHead) {
        func refuse(_ status: HTTPResponseStatus, _ why: String) {
            let body = (try? EventStreams.encoder.encode(["error": why])).map(Array.init) ?? []
            respond(context, h, status, "application/json", body)
        }
        if let refusal = KioskReplyRequest.admit(
            contentType: h.headers["Content-Type"].first,
            origin: h.headers["Origin"].first,
            host: h.headers["Host"].first,
            bodyTooLarge: bodyTooLarge
        ) {
            return refuse(HTTPResponseStatus(statusCode: refusal.status), refusal.reason)
        }
        guard let reply else { return refuse(.serviceUnavailable, "replies are not taken in this mode") }
        guard let request = try? JSONDecoder().decode(KioskReplyRequest.self, from: Data(body)) else {
            return refuse(.badRequest, "the body is not {\"case\": ..., \"message\": ..., \"answer\": ...}")
        }
        let known = hub.message(request.message, ref: request.ref)
        let checked = request.check(message: known, repliedHere: hub.hasReplied(request.message))
        let caseReply: CaseReply
        switch checked {
        case .failure(let refusal):
            logger.info(
                "reply refused",
                metadata: ["message": "\(request.message)", "case": "\(request.ref)", "why": "\(refusal)"]
            )
            return refuse(HTTPResponseStatus(statusCode: refusal.status), refusal.reason)
        case .success(let r): caseReply = r
        }
        let channel = context.channel
        let loop = context.eventLoop
        let handler = NIOLoopBound(self, eventLoop: loop)
        let ctx = NIOLoopBound(context, eventLoop: loop)
        let answer = request.answer
        let logger = self.logger
        Task {
            let outcome: Result<KioskState.ReplyView?, any Error> = await OwnThread.run(name: "kiosk-reply") {
                Result { try reply(caseReply, answer) }
            }
            loop.execute {
                guard channel.isActive else { return }
                switch outcome {
                case .success(let view?):
                    let body = (try? EventStreams.encoder.encode(view)).map(Array.init) ?? []
                    handler.value.respond(ctx.value, h, .ok, "application/json", body)
                case .success(nil):
                    let body = Array(#"{"error":"replies are not taken in this mode"}"#.utf8)
                    handler.value.respond(ctx.value, h, .serviceUnavailable, "application/json", body)
                case .failure(let error):
                    logger.error(
                        "cannot spool a reply",
                        metadata: ["message": "\(caseReply.message)", "case": "\(caseReply.ref)", "error": "\(error)"]
                    )
                    let body =
                        (try? EventStreams.encoder.encode(["error": "the terminal could not save it: \(error)"]))
                        .map(Array.init) ?? []
                    handler.value.respond(ctx.value, h, .serviceUnavailable, "application/json", body)
                }
            }
        }
    }

    func probe(_ context: ChannelHandlerContext, _ h: HTTPRequestHead) {
        guard let configPath else {
            return respond(
                context,
                h,
                .serviceUnavailable,
                "text/plain",
                Array("no configuration file to probe with\n".utf8)
            )
        }
        let channel = context.channel
        let loop = context.eventLoop
        let version = h.version
        let handler = NIOLoopBound(self, eventLoop: loop)
        let ctx = NIOLoopBound(context, eventLoop: loop)
        Task {
            let report = await Probe.run(configPath: configPath, usbListing: .onlyWithUSBNFCReader)
            let body = Array((try? EventStreams.encoder.encode(report)) ?? Data())
            loop.execute {
                guard channel.isActive else { return }
                handler.value.respond(
                    ctx.value,
                    HTTPRequestHead(version: version, method: .GET, uri: "/api/probe"),
                    .ok,
                    "application/json",
                    body
                )
            }
        }
    }

    func respond(
        _ context: ChannelHandlerContext,
        _ h: HTTPRequestHead,
        _ status: HTTPResponseStatus,
        _ type: String,
        _ body: [UInt8]
    ) {
        OneShotResponse.write(
            context,
            to: h,
            status: status,
            contentType: type,
            body: body,
            extraHeaders: [("Cache-Control", "no-store")]
        )
    }
}
