import Foundation
import GatewayCore
import Logging
import ServiceLifecycle

/// Runs a blocking reader loop on a thread of its own as a swift-service-lifecycle `Service`:
/// graceful shutdown or cancellation signals the loop's eventfd, and `run()` returns when the
/// loop has finished its last commit.
struct ThreadService: Service {
    let name: String
    let stop: StopSignal
    let body: @Sendable () -> Void

    func run() async {
        let stop = self.stop
        let body = self.body
        let name = self.name
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                    let t = Thread {
                        body()
                        done.resume()
                    }
                    t.name = name
                    t.start()
                }
            } onGracefulShutdown: {
                stop.signal()
            }
        } onCancel: {
            stop.signal()
        }
    }
}

/// A `line` reader (FIFO, pipe, stdin) as a service.
public struct LineReaderService: Service {
    let thread: ThreadService

    public init(_ config: GatewayConfig.Reader, sink: CaptureSink, hasher: InputMarkHasher, logger: Logger) {
        let stop = StopSignal()
        let r = LineReader(id: config.id, path: config.path ?? "-", maxLine: config.maxLine, sink: sink, stop: stop, logger: logger,
                           dedupMillis: config.dedupMillis, hasher: hasher)
        thread = ThreadService(name: "reader-\(config.id)", stop: stop) { r.run() }
    }

    public func run() async { await thread.run() }
}
