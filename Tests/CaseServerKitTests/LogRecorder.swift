import Logging
import Synchronization

/// Keeps what a `Logger` it made logs, for tests that assert a line was written (or not), at
/// which level and with which metadata.
final class LogRecorder: Sendable {
    struct Line: Equatable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let lines = Mutex<[Line]>([])

    var all: [Line] { lines.withLock { $0 } }

    func logger() -> Logger {
        Logger(label: "test") { _ in Handler(recorder: self) }
    }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            let line = Line(
                level: event.level,
                message: event.message.description,
                metadata: all.mapValues(\.description)
            )
            recorder.lines.withLock { $0.append(line) }
        }
    }
}
