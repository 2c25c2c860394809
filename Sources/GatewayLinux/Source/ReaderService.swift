import Foundation
import GatewayCore
import Logging
import ServiceLifecycle

/// A reader as a swift-service-lifecycle `Service`: the blocking device loop runs on a thread
/// of its own (one per reader, parked in poll(2) between scans); graceful shutdown or
/// cancellation signals its eventfd and `run()` returns when the loop has finished its last
/// commit.
public struct ReaderService: Service {
    public let readerID: String
    private let body: @Sendable () -> Void
    private let stop: StopSignal

    init(readerID: String, stop: StopSignal, body: @escaping @Sendable () -> Void) {
        self.readerID = readerID
        self.stop = stop
        self.body = body
    }

    public static func make(_ config: GatewayConfig.Reader, sink: CaptureSink, logger: Logger) -> ReaderService {
        let stop = StopSignal()
        switch config.kind {
        case .line(let path):
            let r = LineReader(id: config.id, path: path, maxLine: config.maxLine, sink: sink, stop: stop, logger: logger)
            return ReaderService(readerID: config.id, stop: stop) { r.run() }
        case .serial(let path, let baud):
            let r = SerialReader(id: config.id, path: path, baud: baud, maxLine: config.maxLine, sink: sink, stop: stop, logger: logger)
            return ReaderService(readerID: config.id, stop: stop) { r.run() }
        }
    }

    public func run() async {
        let stop = self.stop
        let body = self.body
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                    let t = Thread {
                        body()
                        done.resume()
                    }
                    t.name = "reader-\(readerID)"
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
