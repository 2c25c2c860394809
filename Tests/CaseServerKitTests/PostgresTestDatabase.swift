import Foundation
import Logging
import PostgresNIO
import XCTest

@testable import CaseServerKit

/// A fresh database per test in the cluster `GATEWAYD_TEST_POSTGRES` names (`make test` starts
/// one with scripts/pg-cluster.sh; `scripts/pg-cluster.sh run -- swift test` does too). Without
/// it the PostgreSQL tests are skipped — unless `GATEWAYD_REQUIRE_POSTGRES` is set, as `make
/// test` sets it, where a missing cluster fails them.
enum PostgresTestDatabase {
    static let logger = Logger(label: "test-postgres")

    static func clusterURL() throws -> PostgresURL {
        let env = ProcessInfo.processInfo.environment
        guard let text = env["GATEWAYD_TEST_POSTGRES"], !text.isEmpty else {
            if env["GATEWAYD_REQUIRE_POSTGRES"] != nil {
                throw StoreError.unreachable(
                    "GATEWAYD_TEST_POSTGRES is not set, and GATEWAYD_REQUIRE_POSTGRES says it must be"
                )
            }
            throw XCTSkip("no PostgreSQL: run `scripts/pg-cluster.sh run -- swift test` to include these tests")
        }
        return try PostgresURL(text)
    }

    /// Creates an empty database and returns its URL.
    static func create() async throws -> PostgresURL {
        var url = try clusterURL()
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await admin(url) { try await $0.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger) }
        url.database = name
        return url
    }

    static func drop(_ url: PostgresURL) async throws {
        try await admin(url) {
            try await $0.query(
                PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(url.database) WITH (FORCE)"),
                logger: logger
            )
        }
    }

    /// Runs `body` on a connection to the cluster's `postgres` database.
    static func admin(_ url: PostgresURL, _ body: (PostgresClient) async throws -> Void) async throws {
        guard case .unixSocket(let path) = url.endpoint else { throw XCTSkip("tests use the cluster's socket") }
        let client = PostgresClient(
            configuration: .init(
                unixSocketPath: path,
                username: url.user,
                password: url.password,
                database: "postgres"
            ),
            backgroundLogger: logger
        )
        let runner = Task.immediate { await client.run() }
        defer { runner.cancel() }
        try await body(client)
    }
}

/// The instances a test opens over its one database: the first `open()` creates the database,
/// each call another instance over it; `close()` (in tearDown) closes them and drops it.
final class PostgresTestStores {
    private(set) var database: PostgresURL?
    private var stores: [PostgresCaseStore] = []

    func open() async throws -> PostgresCaseStore {
        if database == nil { database = try await PostgresTestDatabase.create() }
        let store = try await PostgresCaseStore(url: database!, logger: Logger(label: "test"))
        stores.append(store)
        return store
    }

    func close() async {
        for s in stores { s.close() }
        if let database { try? await PostgresTestDatabase.drop(database) }
    }
}
