import PostgresNIO

/// Why the case server cannot use its database, each saying what to do about it.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// `--db` is not a usable PostgreSQL URL.
    case badURL(String)
    /// The database did not answer, or refused the connection.
    case unreachable(String)
    /// The database's schema is from a newer case-server than this one.
    case schemaTooNew(applied: [String], known: [String])

    public var description: String {
        switch self {
        case .badURL(let why):
            return
                "--db: \(why); expected postgres://USER@HOST:PORT/DATABASE or postgres://USER@/DATABASE?host=/socket/dir"
        case .unreachable(let why):
            return "the database cannot be reached (\(why)); check that PostgreSQL runs, the URL, and the user's rights"
        case .schemaTooNew(let applied, let known):
            let extra = applied.filter { !known.contains($0) }
            return
                "the database has migrations this case-server does not know (\(extra.joined(separator: ", "))): it was upgraded by a newer version; run that version"
        }
    }
}

extension StoreError {
    /// An error from a store for a log line: PostgreSQL's SQLSTATE and message (never the
    /// statement or its values, which hold what was scanned), or the error's own description.
    public static func summary(of error: any Error) -> String {
        guard let e = error as? PSQLError else { return "\(error)" }
        guard let info = e.serverInfo else { return "PostgreSQL: \(e.code)" }
        return "PostgreSQL \(info[.sqlState] ?? "-"): \(info[.message] ?? "-")"
    }
}
