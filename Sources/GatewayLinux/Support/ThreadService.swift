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
                await OwnThread.run(name: name, body)
            } onGracefulShutdown: {
                stop.signal()
            }
        } onCancel: {
            stop.signal()
        }
    }
}
