import CLinuxShims
import GatewaySystem
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Keeps gatewayd small on a terminal with little memory (issue 9: RSS ≤ 24 MiB). What made it
/// big was not its data — a few MiB of heap — but pages it no longer needs:
///
/// - start-up code: the statically linked executable is large, and the kernel maps a window
///   around every page first touched, so parsing options and config, TLS and database set-up
///   leave much of it resident. Two things keep that down: the code the daemon runs is
///   linked together (`scripts/gatewayd.order`, a symbol ordering file made from a profile of a
///   real run, so fault-around mostly maps code that is used), and once the daemon runs,
///   `releaseUnusedPages` drops the mappings of the read-only segments, the program's and
///   those of the shared libraries (libc, libstdc++, libsqlite3, libm), so only what is used
///   from then on is mapped again (`gw_release_executable_pages`);
/// - freed heap: glibc keeps up to 8 arenas per core and hands little back; `limitArenas` caps
///   them at two (before any thread starts) and `trimHeap` returns free pages after a burst or a
///   drain;
/// - a drained backlog: when the spool is empty again after one (`BacklogWatch`), the forwarder
///   releases the code pages and trims the heap at once rather than at the footprint service's
///   next step.
///
/// The figures behind each of these are in docs/performance.md.
/// None of this changes what gatewayd does, only which clean pages stay in memory.
public enum MemoryFootprint {
    /// Before the first thread: at most two malloc arenas.
    public static func limitArenas() {
        _ = gw_malloc_arena_max(2)
    }

    /// Once start-up, a busy period or a backlog is over: drops the mappings of the read-only
    /// segments and trims the heap. - Returns: bytes of read-only mappings released.
    @discardableResult
    public static func releaseUnusedPages(logger: Logger) -> Int {
        let n = gw_release_executable_pages()
        trimHeap()
        // This busy period's pages are gone: the footprint service waits for the next one.
        activity.withLockedValue { $0.count = 0 }
        logger.debug("released unused pages", metadata: ["mib": "\(n >> 20)"])
        return n
    }

    /// Resident set size now (VmRSS, from /proc/self/statm), 0 when it cannot be read.
    public static func residentBytes() -> Int {
        Int(gw_resident_bytes())
    }

    public static func trimHeap() {
        _ = gw_malloc_trim()
    }

    /// Envelopes spooled or settled since the heap was last trimmed, and when the last were.
    static let activity = NIOLockedValueBox((count: 0, lastNanos: UInt64(0)))

    /// Counts work that leaves freed heap behind (a burst spooled, a backlog drained).
    public static func noteActivity(_ n: Int, nowNanos: UInt64 = Clocks.monotonicNanos()) {
        activity.withLockedValue { $0 = ($0.count + n, nowNanos) }
    }

    /// True, and the count starts again, when at least `threshold` envelopes went through
    /// since the last time and none for `quiet`: a burst or a drain is over. Under steady
    /// traffic it stays false — the pages in use are in use.
    public static func busyPeriodEnded(
        threshold: Int = 1000,
        quiet: Duration = .seconds(10),
        nowNanos: UInt64 = Clocks.monotonicNanos()
    ) -> Bool {
        let quietNanos =
            UInt64(quiet.components.seconds) * 1_000_000_000 + UInt64(quiet.components.attoseconds / 1_000_000_000)
        return activity.withLockedValue { a in
            guard a.count >= threshold, nowNanos >= a.lastNanos + quietNanos else { return false }
            a.count = 0
            return true
        }
    }
}

/// Releases the start-up pages a few seconds after start; once a busy period is over (a burst
/// spooled, a backlog drained, then 10 s without either: checked every 30 s, so an idle
/// terminal does not wake for it) trims the heap and releases the code pages again, so what the
/// burst touched once does not stay. Never under steady traffic, whose pages are in use.
/// Pages released are mapped again from the page cache when used: no disk reads, a few
/// microseconds per page.
public struct FootprintService: Service {
    let logger: Logger
    let settle: Duration
    let every: Duration

    public init(logger: Logger, settle: Duration = .seconds(3), every: Duration = .seconds(30)) {
        self.logger = logger
        self.settle = settle
        self.every = every
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: settle) }
        guard !Task.isShuttingDownGracefully else { return }
        MemoryFootprint.releaseUnusedPages(logger: logger)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: every) }
            if MemoryFootprint.busyPeriodEnded() { MemoryFootprint.releaseUnusedPages(logger: logger) }
        }
    }
}
