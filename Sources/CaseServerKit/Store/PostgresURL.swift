import Foundation

/// `--db postgres://…`: where the PostgreSQL database is and how to reach it, in libpq's URI
/// form so the string an operator already has for psql works here:
///
///     postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE]
///     postgres://USER@/DATABASE?host=/run/postgresql        (a Unix socket's directory)
///
/// The password may instead come from `PGPASSWORD`, so it is not on a command line that `ps`
/// shows. `sslmode`: `disable`, `prefer` (the default over TCP), `require`, or `verify-full`
/// (the server's certificate checked against the system's roots and its name).
public struct PostgresURL: Sendable, Equatable {
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        /// The socket file itself (`<directory>/.s.PGSQL.<port>`), as libpq names it.
        case unixSocket(path: String)
    }

    public enum TLSMode: String, Sendable, Equatable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    public var endpoint: Endpoint
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    /// Whether a `--db` value names PostgreSQL rather than a SQLite file.
    public static func isPostgres(_ value: String) -> Bool {
        value.hasPrefix("postgres://") || value.hasPrefix("postgresql://")
    }

    /// - Throws: `StoreError.badURL` saying which part is wrong and what it should look like.
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(StoreError)
    {
        guard Self.isPostgres(text), let c = URLComponents(string: text) else {
            throw .badURL("'\(Self.redacted(text))' is not a postgres:// URL")
        }
        var query: [String: String] = [:]
        for item in c.queryItems ?? [] { query[item.name] = item.value ?? "" }
        for name in query.keys where !["host", "port", "sslmode", "user", "password", "dbname"].contains(name) {
            throw .badURL("unknown parameter '\(name)'; known: host, port, sslmode, user, password, dbname")
        }
        user = c.user?.removingPercentEncoding ?? query["user"] ?? environment["PGUSER"] ?? "postgres"
        password = c.password?.removingPercentEncoding ?? query["password"] ?? environment["PGPASSWORD"]
        let path = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        database = query["dbname"] ?? (path.isEmpty ? user : path.removingPercentEncoding ?? path)
        let portText = query["port"] ?? c.port.map(String.init) ?? "5432"
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw .badURL("port '\(portText)' is not a port number")
        }
        let host = query["host"] ?? c.host ?? ""
        if host.hasPrefix("/") {
            endpoint = .unixSocket(path: host + "/.s.PGSQL.\(port)")
        } else {
            endpoint = .tcp(host: host.isEmpty ? "localhost" : host, port: port)
        }
        let mode = query["sslmode"] ?? (host.hasPrefix("/") ? "disable" : "prefer")
        guard let tls = TLSMode(rawValue: mode) else {
            throw .badURL("sslmode '\(mode)' is not one of disable, prefer, require, verify-full")
        }
        self.tls = tls
    }

    /// The URL with its password replaced, for messages and logs.
    public static func redacted(_ text: String) -> String {
        guard var c = URLComponents(string: text), c.password != nil else { return text }
        c.password = "***"
        return c.string ?? "postgres://…"
    }

    /// Where, for logs: never the password.
    public var description: String {
        switch endpoint {
        case .tcp(let host, let port): return "postgres://\(user)@\(host):\(port)/\(database)"
        case .unixSocket(let path): return "postgres://\(user)@/\(database)?host=\(path)"
        }
    }
}
