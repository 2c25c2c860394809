import Foundation
import GatewayCore
import Logging
import PostgresNIO
import XCTest

@testable import CaseServerKit

/// The case book's suite (`CaseBookTests`) on PostgreSQL, and what only several instances over
/// one database can get wrong: one envelope through two instances at once, one object scanned
/// through three at once, two insurers' steps at once, two instances migrating at once.
final class PostgresCaseBookTests: CaseBookTests {
    var databases: [PostgresURL] = []
    var stores: [PostgresCaseStore] = []

    override func makeStore() async throws -> any CaseRepository {
        let url = try await PostgresTestDatabase.create()
        databases.append(url)
        return try await open(url)
    }

    /// Another instance over the same database.
    func open(_ url: PostgresURL) async throws -> PostgresCaseStore {
        let store = try await PostgresCaseStore(url: url, logger: Logger(label: "test"))
        stores.append(store)
        return store
    }

    override func tearDown() async throws {
        for s in stores { s.close() }
        for d in databases { try? await PostgresTestDatabase.drop(d) }
        try await super.tearDown()
    }

    /// `accepted` waits for the database's disk: every session the store opens commits with
    /// `synchronous_commit = on`, whatever the server's default.
    override func testTheStoresCommitsWaitForTheDisk() async throws {
        let madestore = try await makeStore()
        let store = try XCTUnwrap(madestore as? PostgresCaseStore)
        let sync = try await store.setting("synchronous_commit")
        XCTAssertEqual(sync, "on")
        let fsync = try await store.setting("fsync")
        XCTAssertEqual(fsync, "on")
    }

    func testOneEnvelopeThroughTwoInstancesAtOnceIsStoredOnce() async throws {
        let madea = try await makeStore()
        let a = try XCTUnwrap(madea as? PostgresCaseStore)
        let b = try await open(databases[0])
        let (ra, rb) = (receiver(a), receiver(b))
        var answers: [EnvelopeResult.Status] = []
        for _ in 0..<20 {
            let e = try envelope(TagClassification(kind: .subject, schema: "acme", subject: "100234"))
            async let x = ra.receive(EnvelopeBatch(envelopes: [e]), nowNanos: 1)
            async let y = rb.receive(EnvelopeBatch(envelopes: [e]), nowNanos: 1)
            answers += try await [x.results[0].status, y.results[0].status]
        }
        XCTAssertEqual(answers.count { $0 == .accepted }, 20)
        XCTAssertEqual(answers.count { $0 == .duplicate }, 20)
        let counters = try await a.counters()
        XCTAssertEqual(counters, EventCounters(events: 20, duplicates: 20, rejected: 0))
        let cases = try await b.cases()
        XCTAssertEqual(cases.count, 1)
    }

    func testFiftySimultaneousScansOfOneObjectThroughThreeInstancesOpenOneCase() async throws {
        let madefirst = try await makeStore()
        let first = try XCTUnwrap(madefirst as? PostgresCaseStore)
        let (second, third) = (try await open(databases[0]), try await open(databases[0]))
        let receivers = [receiver(first), receiver(second), receiver(third)]
        let envelopes = try (0..<50).map { _ in
            try envelope(TagClassification(kind: .subject, schema: "acme", subject: "100299"))
        }
        let results = try await withThrowingTaskGroup(of: EnvelopeResult.self) { group in
            for (i, e) in envelopes.enumerated() {
                let r = receivers[i % 3]
                group.addTask { try await r.receive(EnvelopeBatch(envelopes: [e]), nowNanos: 1_000).results[0] }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(results.count { $0.status == .accepted }, 50)
        XCTAssertEqual(Set(results.compactMap(\.case?.ref)).count, 1)
        XCTAssertEqual(results.count { $0.case?.opened == true }, 1)
        let cases = try await first.cases()
        XCTAssertEqual(cases.count, 1)
        let counters = try await first.counters()
        XCTAssertEqual(counters.events, 50)
        let status = try await first.caseStatus(ref: cases[0].ref, catalog: policy.catalog)
        // Opened, two insurers told, and one "scanned again" note for the one terminal's minute.
        XCTAssertEqual(status?.notes.count, 4)
    }

    func testTwoInsurersStepsAtOnceAreBothKept() async throws {
        let madea = try await makeStore()
        let a = try XCTUnwrap(madea as? PostgresCaseStore)
        let b = try await open(databases[0])
        let e = try envelope(TagClassification(kind: .subject, schema: "acme", subject: "100250"))
        let opened = try await receiver(a).receive(EnvelopeBatch(envelopes: [e]), nowNanos: 1)
        let ref = try XCTUnwrap(opened.results[0].case?.ref)
        for round in 0..<10 {
            let state = round.isMultiple(of: 2) ? "acknowledged" : "assessor_assigned"
            async let x: Void = a.progress(ref: ref, state: state, note: "n\(round)", insurer: "north", nowNanos: 2)
            async let y: Void = b.progress(ref: ref, state: state, note: "h\(round)", insurer: "harbour", nowNanos: 2)
            _ = try await (x, y)
        }
        let found = try await a.caseStatus(ref: ref, catalog: policy.catalog)
        let status = try XCTUnwrap(found)
        XCTAssertEqual(
            status.insurers.map { "\($0.id):\($0.state):\($0.note ?? "")" },
            ["north:assessor_assigned:n9", "harbour:assessor_assigned:h9"]
        )
        XCTAssertEqual(status.notes.count { $0.insurer != nil && $0.state != "notified" }, 20)
    }

    func testInstancesStartingTogetherMigrateOnceAndANewerSchemaIsRefused() async throws {
        let url = try await PostgresTestDatabase.create()
        databases.append(url)
        let opened = try await withThrowingTaskGroup(of: PostgresCaseStore.self) { group in
            for _ in 0..<4 { group.addTask { try await PostgresCaseStore(url: url, logger: Logger(label: "test")) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        stores += opened
        let versions = try await opened[0].migrationsApplied()
        XCTAssertEqual(versions, PostgresCaseMigrations.versions)
        let store = try await open(url)
        try await store.ready()
        try await store.execute("INSERT INTO schema_migration (version) VALUES ('v999-from-the-future')")
        do {
            _ = try await open(url)
            XCTFail("a database migrated by a newer version was opened")
        } catch let e as StoreError {
            guard case .schemaTooNew = e else { return XCTFail("\(e)") }
            XCTAssertTrue(e.description.contains("v999-from-the-future"), e.description)
        }
    }

    func testAnUnreachableDatabaseIsReportedNotWaitedForForever() async throws {
        var url = try PostgresTestDatabase.clusterURL()
        url.endpoint = .unixSocket(path: "/nonexistent/.s.PGSQL.5432")
        do {
            _ = try await PostgresCaseStore(url: url, logger: Logger(label: "test"), connectWithin: .seconds(1))
            XCTFail("opened a database that is not there")
        } catch let e as StoreError {
            guard case .unreachable = e else { return XCTFail("\(e)") }
        }
    }
}

/// The device directory's suite (`DeviceDirectoryTests`) on PostgreSQL: every `store()` another
/// instance over the test's one database.
final class PostgresDeviceDirectoryTests: DeviceDirectoryTests {
    let postgres = PostgresTestStores()

    override func store() async throws -> any CaseStore { try await postgres.open() }

    override func tearDown() async throws {
        await postgres.close()
        try await super.tearDown()
    }

    /// Two instances adding one terminal at the same instant: one registers it, the other is
    /// told it is registered (the device's lock orders them; SQLite's single writer does that).
    func testTwoInstancesAddingOneDeviceAtOnceRegisterItOnce() async throws {
        let (a, b) = (try await store(), try await store())
        for round in 0..<10 {
            let device = "term-race-\(round)"
            let (ka, kb, now) = (key(), key(), t0)
            async let x = outcome { try await a.addDevice(device, key: ka, nowNanos: now) }
            async let y = outcome { try await b.addDevice(device, key: kb, nowNanos: now) }
            let outcomes = await [x, y]
            XCTAssertEqual(outcomes.count { if case .success = $0 { true } else { false } }, 1)
            for case .failure(let e) in outcomes {
                XCTAssertEqual(e as? DeviceDirectoryError, .alreadyRegistered(device))
            }
            let keys = try await a.deviceKeys(device)
            XCTAssertEqual(keys?.keys.count, 1)
        }
    }
}

/// What a step came to, for steps run at once.
func outcome(_ body: @Sendable () async throws -> Void) async -> Result<Void, any Error> {
    do {
        try await body()
        return .success(())
    } catch {
        return .failure(error)
    }
}

/// The outbox's suite (`NotificationOutboxTests`) on PostgreSQL, and the claim every instance's
/// dispatcher makes at once.
final class PostgresNotificationOutboxTests: NotificationOutboxTests {
    let postgres = PostgresTestStores()

    override func makeStore() async throws -> any CaseStore { try await postgres.open() }

    override func tearDown() async throws {
        await postgres.close()
        try await super.tearDown()
    }

    override func testACaseFromBeforeTheOutboxNotifiesNobody() async throws {
        throw XCTSkip("a SQLite database's migration history; PostgreSQL's schema starts with the outbox in it")
    }

    /// Three instances' dispatchers claiming at the same instant get disjoint rows, and every
    /// due row goes to one of them (`FOR UPDATE SKIP LOCKED`).
    func testDispatchersOfThreeInstancesClaimingAtOnceNeverShareARow() async throws {
        let stores = [try await makeStore(), try await makeStore(), try await makeStore()]
        for i in 0..<20 { _ = try await open(stores[0], subject: "1002\(i)", nowNanos: s) }
        let (now, lease) = (2 * s, 60 * s)
        let claims = try await withThrowingTaskGroup(of: [ClaimedNotification].self) { group in
            for k in 0..<6 {
                let store = stores[k % 3]
                group.addTask { try await store.claimDue(nowNanos: now, limit: 10, leaseNanos: lease) }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        XCTAssertEqual(claims.count, 40, "two insurers with webhooks per case")
        XCTAssertEqual(Set(claims.map(\.id)).count, 40, "no row claimed twice")
        let again = try await stores[1].claimDue(nowNanos: 3 * s, limit: 100, leaseNanos: s)
        XCTAssertEqual(again, [], "all leased")
    }
}
