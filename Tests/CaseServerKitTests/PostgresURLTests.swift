import XCTest

@testable import CaseServerKit

/// `--db postgres://…` in libpq's URI form: what an operator already has for psql works here.
final class PostgresURLTests: XCTestCase {
    func testTCPWithEverything() throws {
        let u = try PostgresURL(
            "postgres://case%20server:s%3Acret@db.example:6543/cases?sslmode=verify-full",
            environment: [:]
        )
        XCTAssertEqual(u.endpoint, .tcp(host: "db.example", port: 6543))
        XCTAssertEqual(u.user, "case server")
        XCTAssertEqual(u.password, "s:cret")
        XCTAssertEqual(u.database, "cases")
        XCTAssertEqual(u.tls, .verifyFull)
        XCTAssertFalse(u.description.contains("cret"), u.description)
    }

    func testAUnixSocketDirectoryDefaultsAndThePasswordFromTheEnvironment() throws {
        let u = try PostgresURL("postgresql://gatewayd@/postgres?host=/tmp/pg", environment: ["PGPASSWORD": "pw"])
        XCTAssertEqual(u.endpoint, .unixSocket(path: "/tmp/pg/.s.PGSQL.5432"))
        XCTAssertEqual(u.password, "pw")
        XCTAssertEqual(u.tls, .disable)
        let d = try PostgresURL("postgres://localhost", environment: ["PGUSER": "ops"])
        XCTAssertEqual(d.endpoint, .tcp(host: "localhost", port: 5432))
        XCTAssertEqual(d.user, "ops")
        XCTAssertEqual(d.database, "ops", "libpq's default: the user's name")
        XCTAssertEqual(d.tls, .prefer)
    }

    func testMistakesSayWhatIsWrong() {
        for (text, says) in [
            ("postgres://h/db?sslmode=always", "sslmode 'always'"),
            ("postgres://h:99999/db", "port"),
            ("postgres://h/db?options=x", "unknown parameter 'options'"),
        ] {
            XCTAssertThrowsError(try PostgresURL(text, environment: [:])) {
                XCTAssertTrue("\($0)".contains(says), "\($0)")
            }
        }
        XCTAssertEqual(PostgresURL.redacted("postgres://u:secret@h/db"), "postgres://u:***@h/db")
        XCTAssertEqual(try CaseStoreLocation("cases.db"), .sqlite(path: "cases.db"))
    }
}
