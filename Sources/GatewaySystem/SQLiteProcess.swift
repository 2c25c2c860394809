import CLinuxShims

/// Process-wide SQLite settings, made once before the first connection opens.
///
/// Why: Debian's libsqlite3 counts every allocation for `sqlite3_memory_used()` under one
/// process-wide mutex. gatewayd's connections work on different threads at once (the reader's
/// commit, the forwarder's peek and settle, the status read), so that mutex is contended on
/// every scan (docs/performance.md). Nothing here reads those statistics.
public enum SQLiteProcess {
    private static let configured: Bool = gw_sqlite_disable_memstatus() == 0

    /// Call before any database opens (the spool does, and case-server before its store).
    /// - Returns: false when SQLite was already initialised and the setting could not be made
    ///   (harmless: it only costs the lock).
    @discardableResult
    public static func configure() -> Bool { configured }
}
