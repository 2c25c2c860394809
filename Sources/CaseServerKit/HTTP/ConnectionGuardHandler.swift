import Logging
import NIOCore

/// First in each connection's pipeline, under TLS: takes a slot of the `ConnectionBudget` or
/// closes the connection at once, and cuts it when a `ConnectionTimeouts` timer runs out. It
/// sees raw bytes only; where requests begin and end it learns from `RequestEvent`s, which
/// `ConnectionPhaseMiddleware` sends down the pipeline as user outbound events.
public final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// Sent by `ConnectionPhaseMiddleware` with `Channel.triggerUserOutboundEvent`.
    public enum RequestEvent: Sendable {
        case headReceived
        case answered
    }

    private let budget: ConnectionBudget
    private let logger: Logger
    private var timeouts: ConnectionTimeouts
    private var holdsSlot = false
    private var started = false
    private var timer: Scheduled<Void>?

    public init(budget: ConnectionBudget, limits: ConnectionTimeouts.Limits, logger: Logger) {
        self.budget = budget
        self.logger = logger
        self.timeouts = ConnectionTimeouts(limits: limits)
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        apply(timeouts.bytesRead(), context)
        context.fireChannelRead(data)
    }

    public func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let e = event as? RequestEvent else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        switch e {
        case .headReceived: apply(timeouts.headReceived(), context)
        case .answered: apply(timeouts.requestAnswered(), context)
        }
        promise?.succeed()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        guard budget.take() else {
            logger.debug("connection refused: at the connection limit", metadata: ["limit": "\(budget.limit)"])
            context.close(promise: nil)
            return
        }
        holdsSlot = true
        apply(timeouts.opened(), context)
    }

    private func stop() {
        timer?.cancel()
        timer = nil
        if holdsSlot {
            holdsSlot = false
            budget.give()
        }
    }

    private func apply(_ action: ConnectionTimeouts.Action, _ context: ChannelHandlerContext) {
        switch action {
        case .none: return
        case .close:
            timer?.cancel()
            timer = nil
            context.close(promise: nil)
        case .schedule(let after):
            timer?.cancel()
            let phase = timeouts.phase
            let loop = context.eventLoop.assumeIsolated()
            timer = loop.scheduleTask(in: .nanoseconds(Int64(after.nanoseconds))) { [self] in
                timer = nil
                logger.debug("connection timed out", metadata: ["phase": "\(phase)"])
                apply(timeouts.timerRanOut(), context)
            }
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}
