import Crypto
import Foundation
import GatewayCore
import Logging
import NIOSSL
import PostgresNIO

/// The case book in PostgreSQL, for several `serve` instances over one database (docs/scale-out.md).
/// The same behaviour as `SQLiteCaseStore` — `CaseRules` decides, the store writes — with what
/// several writers need:
/// - an event is stored once by its primary key (`INSERT … ON CONFLICT DO NOTHING`), never by a
///   check first, so two instances given one envelope store it once and answer `duplicate` once;
/// - an object has one open case by a unique partial index, and a batch opens its new cases with
///   `INSERT … ON CONFLICT DO NOTHING` on it: when two terminals scan one object through two
///   instances at the same instant, the second insert waits for the first transaction, finds
///   the case it committed and inserts nothing; the second batch is then run again and joins
///   that case (optimistic: no lock is taken for an object without a case, where a lock per
///   object would fill PostgreSQL's lock table under a storm of 500-object batches); an open
///   case a batch joins is row-locked, so two batches joining it take turns;
/// - a batch is planned in memory (`CaseBatch`) over facts read in one or two set-based queries
///   and written in one (`PostgresBatchStatements`, prepared once per connection): a statement
///   is a round trip here, not a function call;
/// - every session commits with `synchronous_commit = on`, so `accepted` is only answered for
///   what is on the database's disk (a terminal deletes what was accepted);
/// - a transaction that loses a deadlock or a serialization race is run again.
public final class PostgresCaseStore: CaseRepository {
    public let url: PostgresURL
    let client: PostgresClient
    private let runner: Task<Void, Never>
    let logger: Logger

    /// Connects, checks that the database answers, and applies the migrations it lacks.
    /// - Parameter maxConnections: per instance; a receive holds one for its transaction.
    /// - Parameter connectWithin: how long to wait for the database to answer (it may still be
    ///   starting when the server does) before `StoreError.unreachable`.
    public init(
        url: PostgresURL,
        logger: Logger,
        maxConnections: Int = 16,
        connectWithin: Duration = .seconds(10)
    ) async throws {
        self.url = url
        self.logger = logger
        var config: PostgresClient.Configuration
        switch url.endpoint {
        case .tcp(let host, let port):
            var tls = TLSConfiguration.makeClientConfiguration()
            if url.tls != .verifyFull { tls.certificateVerification = .none }
            let mode: PostgresClient.Configuration.TLS =
                switch url.tls {
                case .disable: .disable
                case .prefer: .prefer(tls)
                case .require, .verifyFull: .require(tls)
                }
            config = .init(
                host: host,
                port: port,
                username: url.user,
                password: url.password,
                database: url.database,
                tls: mode
            )
        case .unixSocket(let path):
            config = .init(unixSocketPath: path, username: url.user, password: url.password, database: url.database)
        }
        config.options.additionalStartupParameters = [
            ("synchronous_commit", "on"), ("application_name", "case-server"),
        ]
        config.options.maximumConnections = maxConnections
        config.options.connectTimeout = .seconds(5)
        let client = PostgresClient(configuration: config, backgroundLogger: logger)
        self.client = client
        runner = Task.immediate { await client.run() }
        do {
            try await Self.within(connectWithin, what: url.description) {
                try await PostgresCaseMigrations.migrate(client, logger: logger)
            }
        } catch {
            runner.cancel()
            throw error
        }
    }

    deinit { runner.cancel() }

    /// Closes the connections (commands that open a store for one query call it at the end).
    public func close() { runner.cancel() }

    public func ready() async throws {
        try await Self.within(.seconds(2), what: url.description) { [client, logger] in
            var applied: [String] = []
            for try await v in try await client.query("SELECT version FROM schema_migration", logger: logger)
                .decode(String.self)
            {
                applied.append(v)
            }
            let missing = PostgresCaseMigrations.versions.filter { !applied.contains($0) }
            guard missing.isEmpty else { throw StoreError.unreachable("migrations \(missing) not applied yet") }
        }
    }

    // MARK: receiving

    public func receive(
        _ events: [OpenedEvent],
        receivedAtNanos now: Int64,
        rejected: Int,
        rules: CaseRules
    ) async throws -> [ReceivedEvent] {
        try await transaction { c in
            let fresh = try await insertEvents(c, events, now: now)
            let needs = CaseBatch.Needs(events, fresh: fresh)
            let facts = try await read(c, needs, now: now)
            let planned = try CaseBatch.plan(events, fresh: fresh, facts: facts, rules: rules, nowNanos: now)
            var answers = planned.answers
            try await write(c, planned.writes, duplicates: fresh.count { !$0 }, rejected: rejected, now: now)
            for (i, e) in events.enumerated() where fresh[i] {
                if let reply = e.reply { answers[i].replyFiled = try await fileReply(c, reply, nowNanos: now) }
            }
            return answers
        }
    }

    /// A change of the case — a step, a message, a reply (a batch's joins are in
    /// `WriteBatch`): its `updated_at`, which the console's live list and case page follow.
    func touch(_ c: PostgresConnection, ref: String, nowNanos: Int64) async throws {
        try await c.query("UPDATE risk_case SET updated_at_ns = \(nowNanos) WHERE ref = \(ref)", logger: logger)
    }

    /// Inserts the events not stored yet. - Returns: per event, whether this batch stored it
    /// (of two copies of one id in a batch, the first).
    private func insertEvents(_ c: PostgresConnection, _ events: [OpenedEvent], now: Int64) async throws -> [Bool] {
        guard !events.isEmpty else { return [] }
        let ids = events.map(\.header.id)
        let statement = PostgresBatchStatements.InsertEvents(
            now: now,
            ids: ids,
            devices: events.map(\.header.device),
            seqs: events.map { Int64($0.header.seq) },
            jsons: events.map(\.json)
        )
        var inserted = Set<String>()
        for try await id in try await c.execute(statement, logger: logger) { inserted.insert(id) }
        return ids.map { inserted.remove($0) != nil }
    }

    /// Reads what planning the batch may ask (`CaseBatch.Needs`), as of its locks: the links,
    /// filed events and open cases (locked) in one statement, then what those cases hold in
    /// another.
    private func read(_ c: PostgresConnection, _ needs: CaseBatch.Needs, now: Int64) async throws -> CaseBatch.Facts {
        var facts = CaseBatch.Facts()
        guard !(needs.types.isEmpty && needs.filedEventIDs.isEmpty && needs.objects.isEmpty) else { return facts }
        for try await fact in try await c.execute(PostgresBatchStatements.ReadFacts(needs: needs), logger: logger) {
            switch fact {
            case .link(let link): facts.links[link.type] = link
            case .filed(let eventID, let ref): facts.filed[eventID] = ref
            case .open(let object, let found): facts.open[object] = found
            }
        }
        let refs = Array(Set(facts.filed.values).union(facts.open.values.map(\.ref))).sorted()
        guard !refs.isEmpty else { return facts }
        var insurers: [(ref: String, order: Int64, status: InsurerStatus)] = []
        let since = now - CaseRules.againNoteWindowNanos
        for try await fact in try await c.execute(
            PostgresBatchStatements.ReadCases(refs: refs, notesSince: since),
            logger: logger
        ) {
            switch fact {
            case .state(let ref, let state): facts.states[ref] = state
            case .insurer(let ref, let order, let status): insurers.append((ref, order, status))
            case .note(let ref, let text, let at): facts.recentNotes[ref, default: []].append((text, at))
            }
        }
        for (ref, _, status) in insurers.sorted(by: { $0.order < $1.order }) {
            facts.insurers[ref, default: []].append(status)
        }
        return facts
    }

    /// Writes a planned batch's rows and its tally of duplicates and rejects, in one statement
    /// (`WriteBatch`); nothing to write is no statement.
    private func write(
        _ c: PostgresConnection,
        _ w: CaseBatch.Writes,
        duplicates: Int,
        rejected: Int,
        now: Int64
    ) async throws {
        var sorted = w
        sorted.cases.sort { ($0.new.schema, $0.new.subject) < ($1.new.schema, $1.new.subject) }
        let notices = w.cases.flatMap { InsurerNotices.opened($0.new, ref: $0.ref, nowNanos: now) }
        let nothing =
            w.links.isEmpty && w.cases.isEmpty && w.caseEvents.isEmpty && w.insurers.isEmpty && w.notes.isEmpty
            && duplicates == 0 && rejected == 0
        guard !nothing else { return }
        let statement = PostgresBatchStatements.WriteBatch(
            now: now,
            writes: sorted,
            notices: notices,
            duplicates: duplicates,
            rejected: rejected
        )
        var inserted: Int64 = 0
        for try await n in try await c.execute(statement, logger: logger) { inserted = n }
        // Another instance opened one of these objects' cases since this batch read them.
        guard inserted == w.cases.count else { throw OpenedMeanwhile() }
    }

    /// A case this batch was to open was opened by another instance's batch since it read the
    /// object: the transaction is run again, and joins that case.
    struct OpenedMeanwhile: Error {}

    /// A device's advisory lock key: 64 bits of SHA-256 over a tag and its id, the same in
    /// every instance (a collision only makes two devices' changes wait for each other).
    static func lockKey(device: String) -> Int64 {
        let digest = SHA256.hash(data: Data(("device\u{1F}" + device).utf8))
        return digest.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }
    }

    // MARK: progress and reads

    public func progress(ref: String, state: String, note text: String, insurer: String?, nowNanos: Int64) async throws
    {
        try await transaction { c in
            let final = try await c.query(
                "SELECT final FROM risk_case WHERE ref = \(ref) FOR UPDATE",
                logger: logger
            ).collect().first?.decode(Bool.self)
            var on: [String] = []
            if final != nil, insurer != nil {
                for try await i in try await c.query(
                    "SELECT insurer FROM case_insurer WHERE ref = \(ref) ORDER BY id",
                    logger: logger
                ).decode(String.self) {
                    on.append(i)
                }
            }
            let update = try CaseProgress.check(
                ref: ref,
                state: state,
                note: text,
                insurer: insurer,
                caseIsFinal: final
            ) { on }
            switch update {
            case .insurerState(let state, let insurer, let note):
                try await c.query(
                    """
                    UPDATE case_insurer SET state = \(state), note = \(note), updated_at_ns = \(nowNanos)
                    WHERE ref = \(ref) AND insurer = \(insurer)
                    """,
                    logger: logger
                )
                try await touch(c, ref: ref, nowNanos: nowNanos)
            case .caseState(let state, let final):
                try await c.query(
                    "UPDATE risk_case SET state = \(state), final = \(final), updated_at_ns = \(nowNanos) WHERE ref = \(ref)",
                    logger: logger
                )
            }
            try await c.query(
                "INSERT INTO case_note (ref, at_ns, state, text, insurer) VALUES (\(ref), \(nowNanos), \(state), \(text), \(insurer))",
                logger: logger
            )
            try await enqueueNotifications(c, for: update, ref: ref, nowNanos: nowNanos)
        }
    }

    public func caseStatus(ref: String, catalog: GuidanceCatalog) async throws -> CaseStatus? {
        try await client.withConnection { c in
            let found = try await c.query(
                """
                SELECT state, final, subject, schema, guidance_id, opened_at_ns, updated_at_ns
                FROM risk_case WHERE ref = \(ref)
                """,
                logger: logger
            ).collect().first?.decode((String, Bool, String, String, String?, Int64, Int64).self)
            guard let (state, final, subject, schema, guidanceID, opened, updated) = found else { return nil }
            var notes: [CaseNote] = []
            for try await (at, state, text, insurer) in try await c.query(
                "SELECT at_ns, state, text, insurer FROM case_note WHERE ref = \(ref) ORDER BY at_ns, id",
                logger: logger
            ).decode((Int64, String, String, String?).self) {
                notes.append(CaseNote(at: RFC3339.format(unixNanos: at), state: state, text: text, insurer: insurer))
            }
            return CaseStatus(
                ref: ref,
                state: state,
                final: final,
                subject: subject,
                schema: schema.isEmpty ? nil : schema,
                openedAt: RFC3339.format(unixNanos: opened),
                updatedAt: RFC3339.format(unixNanos: updated),
                guidance: guidanceID.flatMap(catalog.guidance(id:)),
                insurers: try await insurers(c, refs: [ref])[ref] ?? [],
                notes: notes,
                messages: try await messages(c, ref: ref)
            )
        }
    }

    public func cases() async throws -> [CaseSummary] {
        try await client.withConnection { c in
            var rows: [(String, String, String, String, Int64)] = []
            for try await row in try await c.query(
                "SELECT ref, subject, schema, state, opened_at_ns FROM risk_case ORDER BY opened_at_ns, ref",
                logger: logger
            ).decode((String, String, String, String, Int64).self) {
                rows.append(row)
            }
            let byCase = try await insurers(c, refs: nil)
            return rows.map { ref, subject, schema, state, opened in
                CaseSummary(
                    ref: ref,
                    subject: subject,
                    schema: schema,
                    state: state,
                    insurers: byCase[ref] ?? [],
                    openedAt: RFC3339.format(unixNanos: opened)
                )
            }
        }
    }

    /// Insurers by case, each case's in their order; every case's when `refs` is nil.
    func insurers(_ c: PostgresConnection, refs: [String]?) async throws -> [String: [InsurerStatus]] {
        let rows =
            if let refs {
                try await c.query(
                    """
                    SELECT ref, insurer, name, state, note, updated_at_ns FROM case_insurer
                    WHERE ref = ANY(\(refs)::text[]) ORDER BY id
                    """,
                    logger: logger
                )
            } else {
                try await c.query(
                    "SELECT ref, insurer, name, state, note, updated_at_ns FROM case_insurer ORDER BY id",
                    logger: logger
                )
            }
        var out: [String: [InsurerStatus]] = [:]
        for try await (ref, id, name, state, note, at) in rows.decode(
            (String, String, String, String, String?, Int64).self
        ) {
            out[ref, default: []].append(
                InsurerStatus(id: id, name: name, state: state, updatedAt: RFC3339.format(unixNanos: at), note: note)
            )
        }
        return out
    }

    public func guidanceLinks() async throws -> [GuidanceLink] {
        var out: [GuidanceLink] = []
        let rows = try await client.query(
            "SELECT type, guidance_id, how, similar_to, shared, linked_at_ns FROM guidance_link ORDER BY linked_at_ns, type",
            logger: logger
        )
        for try await (type, id, how, similar, shared, at) in rows.decode(
            (String, String, String, String?, String?, Int64).self
        ) {
            out.append(
                GuidanceLink(
                    type: type,
                    guidanceID: id,
                    how: how,
                    similarTo: similar,
                    shared: shared,
                    linkedAtNanos: at
                )
            )
        }
        return out
    }

    public func events() async throws -> [StoredEvent] {
        var out: [StoredEvent] = []
        let rows = try await client.query(
            "SELECT id, device, seq, received_at_ns, event FROM event ORDER BY device, seq",
            logger: logger
        )
        for try await (id, device, seq, at, json) in rows.decode((String, String, Int64, Int64, String).self) {
            out.append(StoredEvent(id: id, device: device, seq: seq, receivedAtNanos: at, eventJSON: json))
        }
        return out
    }

    public func latestHeartbeats() async throws -> [StoredEvent] {
        var out: [StoredEvent] = []
        let rows = try await client.query(
            """
            SELECT DISTINCT ON (device) id, device, seq, received_at_ns, event FROM event
            WHERE event::jsonb ->> 'kind' = 'heartbeat' ORDER BY device, received_at_ns DESC
            """,
            logger: logger
        )
        for try await (id, device, seq, at, json) in rows.decode((String, String, Int64, Int64, String).self) {
            out.append(StoredEvent(id: id, device: device, seq: seq, receivedAtNanos: at, eventJSON: json))
        }
        return out
    }

    public func counters() async throws -> EventCounters {
        let row = try await client.query(
            """
            SELECT (SELECT count(*) FROM event), (SELECT coalesce(sum(duplicates), 0) FROM event_tally)::bigint,
                   (SELECT coalesce(sum(rejected), 0) FROM event_tally)::bigint
            """,
            logger: logger
        ).collect().first?.decode((Int64, Int64, Int64).self)
        guard let (n, d, r) = row else { return EventCounters(events: 0, duplicates: 0, rejected: 0) }
        return EventCounters(events: Int(n), duplicates: Int(d), rejected: Int(r))
    }

    /// A setting as the store's sessions see it (`SHOW`), for tests and the probe of a deployment.
    func setting(_ name: String) async throws -> String? {
        try await client.query(PostgresQuery(unsafeSQL: "SHOW \(name)"), logger: logger).collect().first?
            .decode(String.self)
    }

    /// The migrations recorded, in order (each once, however many instances started together).
    func migrationsApplied() async throws -> [String] {
        try await client.withConnection { c in try await PostgresCaseMigrations.appliedVersions(c, logger: logger) }
    }

    /// Runs a statement as written (tests).
    func execute(_ sql: String) async throws {
        try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }

    // MARK: transactions

    /// Runs `body` in a transaction, again (up to 8 times) when PostgreSQL chose it as a
    /// deadlock's victim or a serialization race's loser, when two instances drew one new case
    /// reference, or when another instance opened a case this batch was to open; errors of
    /// `body` itself (a refused progress step) pass through as thrown.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await Self.transaction(client, logger: logger, body)
            } catch let error as PSQLError where attempt < 8 && Self.isRetryable(error) {
                logger.info(
                    "database transaction retried",
                    metadata: ["sqlstate": "\(error.serverInfo?[.sqlState] ?? "-")", "attempt": "\(attempt)"]
                )
            } catch is OpenedMeanwhile where attempt < 8 {
                logger.debug("batch planned again: a case it was to open was opened meanwhile")
            }
        }
    }

    /// BEGIN, `body`, COMMIT on one leased connection; ROLLBACK and `body`'s own error when it throws.
    static func transaction<T: Sendable>(
        _ client: PostgresClient,
        logger: Logger,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await client.withConnection { c in
            try await c.query("BEGIN", logger: logger)
            do {
                let value = try await body(c)
                try await c.query("COMMIT", logger: logger)
                return value
            } catch {
                _ = try? await c.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// 40001 serialization failure, 40P01 deadlock, 23505 on a new case's reference or open case.
    static func isRetryable(_ error: PSQLError) -> Bool {
        switch error.serverInfo?[.sqlState] {
        case "40001", "40P01": return true
        case "23505":
            let constraint = error.serverInfo?[.constraintName] ?? ""
            return constraint == "risk_case_pkey" || constraint == "risk_case_open"
        default: return false
        }
    }

    /// `body`, or `StoreError.unreachable` when it has not finished within `limit` (the
    /// connection pool retries a refused connection on its own, so a dead database would
    /// otherwise wait forever).
    static func within<T: Sendable>(
        _ limit: Duration,
        what: String,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await Deadline.run(
            limit,
            expired: { StoreError.unreachable("\(what) did not answer within \(limit)") },
            body
        )
    }
}
