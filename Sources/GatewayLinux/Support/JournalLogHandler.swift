import Foundation
import Glibc
import Logging
import Synchronization

/// swift-log to journald through stderr: each event is one line that starts with its syslog
/// priority as `<N>` (sd-daemon(3)), which journald strips and records as PRIORITY, so
/// `journalctl -p warning -u gatewayd` shows warnings and worse. No timestamp (journald keeps
/// its own). Metadata follows the message as sorted `key=value`; newlines in a value are
/// escaped so an event can never span lines.
///
/// Used when systemd connected stderr to the journal (`$JOURNAL_STREAM` names stderr's device
/// and inode); otherwise gatewayd logs with swift-log's `StreamLogHandler`.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String
    /// One write(2) at a time, so lines from several threads never interleave.
    private static let writing = Mutex(())

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// sd-daemon(3) priorities.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// Whether stderr is the journal stream systemd set up for this process.
    public static func stderrIsJournal(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let v = environment["JOURNAL_STREAM"] else { return false }
        let parts = v.split(separator: ":")
        guard parts.count == 2, let dev = UInt64(parts[0]), let ino = UInt64(parts[1]) else { return false }
        var st = stat()
        guard fstat(2, &st) == 0 else { return false }
        return UInt64(st.st_dev) == dev && UInt64(st.st_ino) == ino
    }

    /// The line for one event, without the newline.
    public static func format(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var line = "<\(priority(level))>" + escape(message)
        for (k, v) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " \(k)=\(escape("\(v)"))"
        }
        return line
    }

    /// On scalars, not Characters: "\r\n" is one Character in Swift and equals neither.
    static func escape(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" }) else { return s }
        var out = String.UnicodeScalarView()
        for c in s.unicodeScalars {
            switch c {
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            default: out.append(c)
            }
        }
        return String(out)
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let m = event.metadata { all.merge(m) { _, new in new } }
        var bytes = Array((Self.format(level: event.level, message: "\(event.message)", metadata: all) + "\n").utf8)
        Self.writing.withLock { _ in _ = write(2, &bytes, bytes.count) }
    }
}
