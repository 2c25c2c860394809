import Foundation
import GatewayCore
import Glibc
import Logging
import ServiceLifecycle
import Synchronization

/// All of the daemon's readers as one `Service`: each line reader (FIFO, pipe, stdin) on a
/// thread of its own, and the device readers under one `SupervisorLoop` (udev, sessions).
///
/// `update(_:)` is the reload path: readers that did not change are not touched (their
/// devices stay open, nothing is missed); a changed or removed one finishes its current commit
/// and stops; a changed or added one starts. While a line reader's FIFO changes hands, the
/// pool holds the FIFO open for reading, so a writer never sees EPIPE and the bytes it writes
/// wait in the pipe for the new reader.
///
/// A line reader whose input ends (stdin at EOF) stops alone; the daemon goes on.
public final class ReaderPool: Service, Sendable {
    private struct State {
        var readers: [GatewayConfig.Reader]
        var lines: [String: (config: GatewayConfig.Reader, stop: StopSignal, ended: DispatchSemaphore)] = [:]
        var supervisor: SupervisorLoop.Control?
        var hasher: InputMarkHasher?
        var stopping = false
    }

    private let sink: CaptureSink
    private let states: ReaderStates
    private let logger: Logger
    private let state: Mutex<State>
    private let threads = DispatchGroup()
    private let stop = StopSignal()

    public init(
        readers: [GatewayConfig.Reader],
        sink: CaptureSink,
        states: ReaderStates = ReaderStates(),
        logger: Logger
    ) {
        self.state = Mutex(State(readers: readers))
        self.sink = sink
        self.states = states
        self.logger = logger
    }

    public func run() async {
        state.withLock { s in apply(s.readers, to: &s) }
        await ThreadService(name: "reader-pool", stop: stop) { [self] in
            // Wait for the stop, then stop everything and wait for each last commit.
            var p = pollfd(fd: stop.fd, events: Int16(POLLIN), revents: 0)
            while poll(&p, 1, -1) < 0 && errno == EINTR {}
            state.withLock { s in
                s.stopping = true
                for l in s.lines.values { l.stop.signal() }
                s.supervisor?.stop.signal()
            }
            threads.wait()
        }.run()
    }

    /// Reload: the new reader list (already validated).
    public func update(_ new: [GatewayConfig.Reader]) {
        state.withLock { s in
            guard !s.stopping else { return }
            apply(new, to: &s)
        }
    }

    /// Under the state's lock.
    private func apply(_ new: [GatewayConfig.Reader], to s: inout State) {
        s.readers = new
        let wanted = Dictionary(new.filter { $0.kind == .line }.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for (id, running) in s.lines
        where wanted[id].map(ReloadPlan.sessionSettings) != ReloadPlan.sessionSettings(running.config) {
            let path = running.config.path ?? "-"
            let holder = path == "-" ? -1 : open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
            running.stop.signal()
            s.lines[id] = nil
            logger.info("line reader closing for new settings", metadata: ["reader": "\(id)"])
            if let next = wanted[id], next.path == running.config.path {
                // The same FIFO: the new reader starts when the old one has let go, and the
                // holder keeps the pipe readable in between.
                startLine(next, after: running.ended, holder: holder, in: &s)
            } else if holder >= 0 {
                close(holder)
            }
        }
        for (id, r) in wanted where s.lines[id] == nil {
            startLine(r, after: nil, holder: -1, in: &s)
        }
        let devices = new.filter { $0.kind != .line }
        if let control = s.supervisor {
            control.update(devices)
        } else if !devices.isEmpty {
            let control = SupervisorLoop.Control()
            s.supervisor = control
            threads.enter()
            let (sink, states, logger) = (self.sink, self.states, self.logger)
            let t = Thread { [threads] in
                SupervisorLoop(readers: devices, sink: sink, control: control, states: states, logger: logger).run()
                threads.leave()
            }
            t.name = "reader-supervisor"
            t.start()
        }
    }

    /// Under the state's lock. - Parameter previous: signalled when the reader this one replaces
    /// has ended.
    private func startLine(
        _ r: GatewayConfig.Reader,
        after previous: DispatchSemaphore?,
        holder: Int32,
        in s: inout State
    ) {
        let hasher = s.hasher ?? InputMarkHasher(logger: logger)
        s.hasher = hasher
        let stop = StopSignal()
        let ended = DispatchSemaphore(value: 0)
        s.lines[r.id] = (r, stop, ended)
        threads.enter()
        let (sink, logger, health) = (self.sink, self.logger, self.states.health)
        let opened: (@Sendable () -> Void)? = holder >= 0 ? { @Sendable in _ = close(holder) } : nil
        let t = Thread { [threads] in
            previous?.wait()
            // Made here: a reader is its thread's alone.
            LineReader(
                reader: r,
                sink: sink,
                stop: stop,
                logger: logger,
                hasher: hasher,
                health: health,
                opened: opened
            ).run()
            ended.signal()
            threads.leave()
        }
        t.name = "reader-\(r.id)"
        t.start()
    }
}
