import Hummingbird

/// Tells the connection's `ConnectionGuardHandler` that a request's head has arrived and,
/// when the route returns, that it is answered: the raw bytes it sees cannot show either.
public struct ConnectionPhaseMiddleware: RouterMiddleware {
    public typealias Context = CaseServerRequestContext

    public init() {}

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let channel = context.channel
        channel.triggerUserOutboundEvent(ConnectionGuardHandler.RequestEvent.headReceived, promise: nil)
        defer { channel.triggerUserOutboundEvent(ConnectionGuardHandler.RequestEvent.answered, promise: nil) }
        return try await next(request, context)
    }
}
