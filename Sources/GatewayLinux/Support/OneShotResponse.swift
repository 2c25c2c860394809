import NIOCore
import NIOHTTP1

/// A whole HTTP/1.1 response on a connection that then closes: what the metrics endpoint and
/// the kiosk's plain pages answer with (small, rare requests; no keep-alive to keep track of).
enum OneShotResponse {
    static func write(
        _ context: ChannelHandlerContext,
        to request: HTTPRequestHead,
        status: HTTPResponseStatus,
        contentType: String,
        body: [UInt8],
        extraHeaders: [(String, String)] = []
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: "\(body.count)")
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        headers.add(name: "Connection", value: "close")
        context.write(
            NIOAny(
                HTTPServerResponsePart.head(
                    HTTPResponseHead(version: request.version, status: status, headers: headers)
                )
            ),
            promise: nil
        )
        if request.method != .HEAD {
            context.write(
                NIOAny(HTTPServerResponsePart.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))),
                promise: nil
            )
        }
        let channel = context.channel
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
