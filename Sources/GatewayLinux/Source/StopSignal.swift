import CLinuxShims
import Glibc

/// An eventfd that a reader thread polls next to its device, so that stopping it is an event
/// like any other: no timeouts, no polling loops. Also used as a repeatable wake-up (`reset`).
public final class StopSignal: Sendable {
    let fd: Int32

    public init() {
        fd = gw_eventfd()
        precondition(fd >= 0, "eventfd failed: errno \(errno)")
    }

    deinit { close(fd) }

    public func signal() {
        var one: UInt64 = 1
        _ = write(fd, &one, 8)
    }

    /// Clears the signal (the eventfd counter), for signals used as repeatable notifications.
    public func reset() {
        var v: UInt64 = 0
        _ = read(fd, &v, 8)
    }

    public var isSignalled: Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) == 1
    }
}

/// What waiting on a device descriptor ended with.
enum WaitResult: Equatable {
    case readable
    case hangup
    case stopped
    case timeout
}

/// Blocks in poll(2) until `fd` is readable (or hung up), `stop` is signalled, or the timeout
/// passes (-1 = none).
func waitReadable(_ fd: Int32, stop: StopSignal, timeoutMs: Int32 = -1) -> WaitResult {
    var fds = [
        pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
        pollfd(fd: stop.fd, events: Int16(POLLIN), revents: 0),
    ]
    while true {
        let n = poll(&fds, 2, timeoutMs)
        if n < 0 {
            if errno == EINTR { continue }
            return .hangup
        }
        if n == 0 { return .timeout }
        if fds[1].revents != 0 { return .stopped }
        if fds[0].revents & Int16(POLLIN) != 0 { return .readable }
        return .hangup
    }
}

/// Sleeps up to `ms`, waking early when stopped. - Returns: false when stopped.
func pause(ms: Int32, stop: StopSignal) -> Bool {
    var p = pollfd(fd: stop.fd, events: Int16(POLLIN), revents: 0)
    while true {
        let n = poll(&p, 1, ms)
        if n < 0 && errno == EINTR { continue }
        return n == 0
    }
}
