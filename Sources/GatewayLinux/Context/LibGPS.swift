import CGPS
import GatewayCore
import Glibc

/// One session with gpsd through libgps, gpsd's own client library (gpsd's client HOWTO asks
/// clients to use it rather than the wire protocol, which it tracks across gpsd releases). Used
/// by the gpsd client's thread only. gatewayd does not link libgps: `load()` maps it when [gps]
/// is configured (Sources/CGPS does the `dlopen`).
///
/// The 24 KB `gps_data_t` is allocated once per session and reused across reconnects.
final class LibGPS {
    /// Where gpsd's reports come from.
    enum Source: Sendable, Equatable, CustomStringConvertible {
        /// gpsd's TCP socket, watched with JSON reports.
        case socket(host: String, port: UInt16)
        /// gpsd's shared-memory export (gpsd on this terminal).
        case sharedMemory

        init(_ config: GatewayConfig.GPS) {
            self = config.sharedMemory ? .sharedMemory : .socket(host: config.host, port: config.port)
        }

        var description: String {
            switch self {
            case .socket(let host, let port): "\(host):\(port)"
            case .sharedMemory: "shared memory"
            }
        }
    }

    /// What one read gave.
    enum Read: Equatable {
        case report(GPSDReport)
        /// Nothing complete yet (part of a message, or a torn shared-memory copy).
        case nothing
        /// The session is over (gpsd closed the connection, or a read failed).
        case lost(String)
    }

    static func load() throws(LibraryUnavailable) {
        try LibraryUnavailable.load("libgps, gpsd's client library", packages: "libgps28") { gw_gps_load($0, $1) }
    }

    let source: Source
    private let data: UnsafeMutablePointer<gps_data_t>
    private var isOpen = false

    /// - Precondition: `load()` succeeded.
    init(source: Source) {
        self.source = source
        data = calloc(1, MemoryLayout<gps_data_t>.size)!.bindMemory(to: gps_data_t.self, capacity: 1)
    }

    deinit {
        close()
        free(data)
    }

    /// Opens the session (and, on the socket, asks gpsd to watch with JSON reports); nil, or why
    /// not in libgps's words.
    func open() -> String? {
        close()
        memset(data, 0, MemoryLayout<gps_data_t>.size)
        switch source {
        case .socket(let host, let port):
            errno = 0
            guard gps_open(host, String(port), data) == 0 else { return String(cString: gps_errstr(errno)) }
            isOpen = true
            // libgps opens its socket without close-on-exec; gatewayd's children need no gpsd.
            _ = fcntl(data.pointee.gps_fd, F_SETFD, FD_CLOEXEC)
            guard gps_stream(data, UInt32(WATCH_ENABLE | WATCH_JSON), nil) == 0 else {
                let why = String(cString: gps_errstr(errno))
                close()
                return "cannot ask gpsd to watch: \(why)"
            }
        case .sharedMemory:
            guard gps_open(gw_gps_shared_memory(), nil, data) == 0 else {
                return "no gpsd shared-memory segment (gpsd not running here, or built without shm_export)"
            }
            isOpen = true
        }
        return nil
    }

    func close() {
        guard isOpen else { return }
        _ = gps_close(data)
        isOpen = false
    }

    /// Whether a report is waiting. On the socket this blocks up to `microseconds` (gpsd's
    /// HOWTO: at least 2 s). libgps busy-waits on shared memory for the whole timeout, so there
    /// the caller passes 0 and sleeps between calls itself.
    func waiting(microseconds: Int32) -> Bool {
        gps_waiting(data, microseconds)
    }

    /// Reads one report. On the socket, `set` is cleared first: libgps ORs a message's flags
    /// into what the previous one left (a SKY report keeps the last TPV's MODE_SET), and only
    /// this message's flags tell what it brought.
    func read() -> Read {
        data.pointee.set = 0
        errno = 0
        let n = gps_read(data, nil, 0)
        if n < 0 {
            return .lost(
                errno == 0 ? "gpsd closed the connection" : "read failed: \(String(cString: gps_errstr(errno)))"
            )
        }
        if n == 0 { return .nothing }
        let report = GPSDReport(UnsafePointer(data), sharedMemory: source == .sharedMemory)
        return report.isEmpty ? .nothing : .report(report)
    }
}
