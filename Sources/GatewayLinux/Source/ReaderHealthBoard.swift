import Foundation
import GatewayCore
import Synchronization

/// Every reader's health (`ReaderHealth`: floods, noise) for the rest of the process and for
/// other processes: reader threads post what their `FloodMonitor` said, the kiosk page and
/// heartbeats read it from memory (`ReaderStates.describe`), and `--probe` reads the copy
/// written to the runtime directory (`readers.json`). The file (on tmpfs) is rewritten when
/// something changes: an episode starts or ends, a noise event is made — never more often than
/// the reader commits noise events, each of which costs a spool commit anyway.
public final class ReaderHealthBoard: Sendable {
    public static let fileName = "readers.json"

    private struct State {
        var readers: [String: ReaderHealth] = [:]
        /// Sessions flooding now, per reader (a reader whose rule matched two devices has two).
        var flooding: [String: Int] = [:]
    }

    private let state = Mutex(State())
    /// Where the file goes; nil: memory only (`--probe --listen`, which must not overwrite a
    /// daemon's file, and tests).
    private let directory: String?

    public init(directory: String? = nil) {
        self.directory = directory
        // A new daemon: what an earlier one wrote is no longer true.
        if directory != nil { state.withLock { write($0) } }
    }

    /// Noise lines delivered as one misread, read from `wallNanos` on.
    func noise(reader: String, lines: Int, wallNanos: Int64) {
        change(reader) { h, _ in
            h.noiseLines += lines
            h.lastNoiseAt = RFC3339.format(unixNanos: wallNanos)
        }
    }

    func floodStarted(reader: String, _ flood: ReaderHealth.Flood) {
        change(reader) { h, sessions in
            sessions += 1
            h.floods += 1
            h.lastFlood = flood
        }
    }

    func floodEnded(reader: String, _ flood: ReaderHealth.Flood) {
        change(reader) { h, sessions in
            sessions = max(0, sessions - 1)
            h.lastFlood = flood
        }
    }

    public func health(_ reader: String) -> ReaderHealth? {
        state.withLock { $0.readers[reader] }
    }

    private func change(_ reader: String, _ body: (inout ReaderHealth, inout Int) -> Void) {
        state.withLock { s in
            var h = s.readers[reader] ?? ReaderHealth(reader: reader)
            var sessions = s.flooding[reader, default: 0]
            body(&h, &sessions)
            h.flooding = sessions > 0
            s.readers[reader] = h
            s.flooding[reader] = sessions
            // Under the lock: two readers' threads never interleave their writes.
            write(s)
        }
    }

    private func write(_ s: State) {
        guard let directory else { return }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let list = s.readers.values.sorted { $0.reader < $1.reader }
        if let data = try? enc.encode(list) { RuntimeDirectory.write(Self.fileName, Array(data), in: directory) }
    }

    /// What a running daemon last wrote, by reader; empty when none runs (or none wrote yet).
    public static func read(in directory: String = RuntimeDirectory.path) -> [String: ReaderHealth] {
        guard let bytes = RuntimeDirectory.read(fileName, in: directory),
            let list = try? JSONDecoder().decode([ReaderHealth].self, from: Data(bytes))
        else { return [:] }
        return Dictionary(list.map { ($0.reader, $0) }, uniquingKeysWith: { a, _ in a })
    }
}
