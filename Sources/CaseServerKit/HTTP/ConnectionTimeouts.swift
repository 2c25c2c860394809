/// When a connection is cut, as a pure state machine (the I/O is `ConnectionGuardHandler`'s):
///
///     opened            → awaiting head: the TLS handshake and a request head within `header`
///     first byte, idle  → awaiting head: that request's head within `header`
///     head received     → in request: its body read and answered within `request`
///     request answered  → idle: the next request's first byte within `idle`
///     a timer ran out   → close
///
/// A slowloris, trickling a head byte by byte, is cut `header` after it began however often
/// it sends a byte; an idle keep-alive connection after `idle`; a body trickled the same way
/// after `request`. Each phase has one timer; entering a phase replaces the previous one.
public struct ConnectionTimeouts: Sendable, Equatable {
    public struct Limits: Sendable, Equatable {
        public var header: Duration
        public var idle: Duration
        public var request: Duration

        public init(header: Duration = .seconds(10), idle: Duration = .seconds(75), request: Duration = .seconds(60)) {
            self.header = header
            self.idle = idle
            self.request = request
        }
    }

    public enum Phase: Sendable, Equatable {
        case awaitingHead
        case inRequest
        case idle
        case closed
    }

    public enum Action: Sendable, Equatable {
        /// Cancel any timer and start one that runs out after this long.
        case schedule(Duration)
        case close
        case none
    }

    public let limits: Limits
    public private(set) var phase: Phase = .idle

    public init(limits: Limits) {
        self.limits = limits
    }

    public mutating func opened() -> Action {
        enter(.awaitingHead)
    }

    public mutating func bytesRead() -> Action {
        phase == .idle ? enter(.awaitingHead) : .none
    }

    public mutating func headReceived() -> Action {
        phase == .closed ? .none : enter(.inRequest)
    }

    public mutating func requestAnswered() -> Action {
        phase == .inRequest ? enter(.idle) : .none
    }

    public mutating func timerRanOut() -> Action {
        guard phase != .closed else { return .none }
        phase = .closed
        return .close
    }

    private mutating func enter(_ next: Phase) -> Action {
        phase = next
        switch next {
        case .awaitingHead: return .schedule(limits.header)
        case .inRequest: return .schedule(limits.request)
        case .idle: return .schedule(limits.idle)
        case .closed: return .close
        }
    }
}
