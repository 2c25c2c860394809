import Logging

/// Everything the server keeps in its database: cases and events, the device registry, the
/// insurers' notifications waiting to be sent, the console's accounts and audit log, and the
/// messages to the person on site.
public typealias CaseStore = CaseRepository & DeviceDirectory & NotificationOutbox & ConsoleDirectory
    & CaseMessages

/// What `--db` names: a SQLite file (the embedded default, one server process) or a PostgreSQL
/// database (`postgres://…`, any number of server processes; docs/scale-out.md).
public enum CaseStoreLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(PostgresURL)

    /// - Throws: `StoreError.badURL` for a `postgres://` value that does not parse.
    public init(_ db: String) throws(StoreError) {
        self = PostgresURL.isPostgres(db) ? .postgres(try PostgresURL(db)) : .sqlite(path: db)
    }

    /// Opens the store, bringing its schema up to date. - Parameter connections: the most
    /// connections one process holds to PostgreSQL (unused for SQLite).
    public func open(logger: Logger, connections: Int = 16) async throws -> any CaseStore {
        switch self {
        case .sqlite(let path): return try SQLiteCaseStore(path: path)
        case .postgres(let url):
            return try await PostgresCaseStore(url: url, logger: logger, maxConnections: connections)
        }
    }

    /// For logs: the file, or the URL without its password.
    public var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let url): return url.description
        }
    }
}
