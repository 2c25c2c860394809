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
/// - a batch is planned in memory (`CaseBatch`) over facts read in a few set-based queries and
///   written in a few more: a statement is a round trip here, not a function call;
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
            let (answers, writes) = try CaseBatch.plan(events, fresh: fresh, facts: facts, rules: rules, nowNanos: now)
            try await write(c, writes, now: now)
            for (e, isFresh) in zip(events, fresh) where isFresh {
                if let reply = e.reply { try await fileReply(c, reply, nowNanos: now) }
            }
            let duplicates = fresh.count { !$0 }
            if duplicates > 0 || rejected > 0 {
                try await c.query(
                    "INSERT INTO event_tally (duplicates, rejected) VALUES (\(duplicates), \(rejected))",
                    logger: logger
                )
            }
            return answers
        }
    }

    /// Inserts the events not stored yet. - Returns: per event, whether this batch stored it
    /// (of two copies of one id in a batch, the first).
    private func insertEvents(_ c: PostgresConnection, _ events: [OpenedEvent], now: Int64) async throws -> [Bool] {
        guard !events.isEmpty else { return [] }
        let ids = events.map(\.header.id)
        let devices = events.map(\.header.device)
        let seqs = events.map { Int64($0.header.seq) }
        let jsons = events.map(\.json)
        var inserted = Set<String>()
        let rows = try await c.query(
            """
            INSERT INTO event (id, device, seq, received_at_ns, event)
            SELECT i, d, s, \(now), e FROM unnest(\(ids)::text[], \(devices)::text[], \(seqs)::bigint[], \(jsons)::text[])
                AS t (i, d, s, e)
            ON CONFLICT DO NOTHING RETURNING id
            """,
            logger: logger
        )
        for try await id in rows.decode(String.self) { inserted.insert(id) }
        return ids.map { inserted.remove($0) != nil }
    }

    /// Reads what planning the batch may ask (`CaseBatch.Needs`), as of its locks.
    private func read(_ c: PostgresConnection, _ needs: CaseBatch.Needs, now: Int64) async throws -> CaseBatch.Facts {
        var facts = CaseBatch.Facts()
        if !needs.types.isEmpty {
            let rows = try await c.query(
                """
                SELECT type, guidance_id, how, similar_to, shared, linked_at_ns FROM guidance_link
                WHERE type = ANY(\(needs.types)::text[])
                """,
                logger: logger
            )
            for try await (type, id, how, similar, shared, at) in rows.decode(
                (String, String, String, String?, String?, Int64).self
            ) {
                facts.links[type] = GuidanceLink(
                    type: type,
                    guidanceID: id,
                    how: how,
                    similarTo: similar,
                    shared: shared,
                    linkedAtNanos: at
                )
            }
        }
        if !needs.filedEventIDs.isEmpty {
            let rows = try await c.query(
                "SELECT event_id, ref FROM case_event WHERE event_id = ANY(\(needs.filedEventIDs)::text[])",
                logger: logger
            )
            for try await (id, ref) in rows.decode((String, String).self) { facts.filed[id] = ref }
        }
        if !needs.objects.isEmpty {
            // One index probe per object whatever the planner knows of the table (a join
            // would be planned as a full scan while a new table has no statistics). Each open
            // case found is locked (a row lock, kept in the row, not in the lock table), in the
            // objects' sorted order: batches joining one case take turns, so the second sees
            // the first's "scanned again" note and the note stays once a minute.
            let rows = try await c.query(
                """
                SELECT r.ref, r.state, o.schema, o.subject
                FROM unnest(\(needs.objects.map(\.schema))::text[], \(needs.objects.map(\.subject))::text[]) AS o (schema, subject)
                CROSS JOIN LATERAL (SELECT ref, state FROM risk_case
                                    WHERE schema = o.schema AND subject = o.subject AND NOT final LIMIT 1
                                    FOR NO KEY UPDATE) AS r
                """,
                logger: logger
            )
            for try await (ref, state, schema, subject) in rows.decode((String, String, String, String).self) {
                facts.open[.init(schema: schema, subject: subject)] = OpenCase(ref: ref, state: state)
            }
        }
        let refs = Array(Set(facts.filed.values).union(facts.open.values.map(\.ref))).sorted()
        guard !refs.isEmpty else { return facts }
        for try await (ref, state) in try await c.query(
            "SELECT ref, state FROM risk_case WHERE ref = ANY(\(refs)::text[])",
            logger: logger
        ).decode((String, String).self) {
            facts.states[ref] = state
        }
        for (ref, list) in try await insurers(c, refs: refs) { facts.insurers[ref] = list }
        let since = now - CaseRules.againNoteWindowNanos
        for try await (ref, text, at) in try await c.query(
            "SELECT ref, text, at_ns FROM case_note WHERE ref = ANY(\(refs)::text[]) AND at_ns > \(since)",
            logger: logger
        ).decode((String, String, Int64).self) {
            facts.recentNotes[ref, default: []].append((text, at))
        }
        return facts
    }

    /// Writes a planned batch's rows, a statement per table. Optional text travels as '' and
    /// is stored as NULL (ids and guidance ids are never empty).
    private func write(_ c: PostgresConnection, _ w: CaseBatch.Writes, now: Int64) async throws {
        for l in w.links {
            try await c.query(
                """
                INSERT INTO guidance_link (type, guidance_id, how, similar_to, shared, linked_at_ns)
                VALUES (\(l.type), \(l.guidanceID), \(l.how), \(l.similarTo), \(l.shared), \(l.linkedAtNanos))
                ON CONFLICT (type) DO UPDATE SET guidance_id = excluded.guidance_id, how = excluded.how,
                    similar_to = excluded.similar_to, shared = excluded.shared, linked_at_ns = excluded.linked_at_ns
                """,
                logger: logger
            )
        }
        if !w.cases.isEmpty {
            // In one order (by object) in every instance, so two batches inserting the same
            // objects wait for each other in one direction only.
            let cs = w.cases.sorted { ($0.new.schema, $0.new.subject) < ($1.new.schema, $1.new.subject) }
            let inserted = try await c.query(
                """
                INSERT INTO risk_case (ref, subject, schema, device, state, guidance_id, opened_at_ns, updated_at_ns)
                SELECT r, su, sc, d, st, NULLIF(g, ''), \(now), \(now)
                FROM unnest(\(cs.map(\.ref))::text[], \(cs.map(\.new.subject))::text[], \(cs.map(\.new.schema))::text[],
                            \(cs.map(\.new.device))::text[], \(cs.map(\.new.state))::text[],
                            \(cs.map { $0.new.guidanceID ?? "" })::text[]) WITH ORDINALITY AS t (r, su, sc, d, st, g, o)
                ORDER BY o
                ON CONFLICT (schema, subject) WHERE NOT final DO NOTHING
                RETURNING ref
                """,
                logger: logger
            ).collect().count
            // Another instance opened one of these objects' cases since this batch read them.
            guard inserted == cs.count else { throw OpenedMeanwhile() }
        }
        if !w.caseEvents.isEmpty {
            try await c.query(
                """
                INSERT INTO case_event (event_id, ref)
                SELECT * FROM unnest(\(w.caseEvents.map(\.eventID))::text[], \(w.caseEvents.map(\.ref))::text[])
                """,
                logger: logger
            )
        }
        if !w.insurers.isEmpty {
            let ins = w.insurers
            try await c.query(
                """
                INSERT INTO case_insurer (ref, insurer, name, state, updated_at_ns, webhook)
                SELECT r, i, n, 'notified', \(now), w
                FROM unnest(\(ins.map(\.ref))::text[], \(ins.map(\.insurer.id))::text[], \(ins.map(\.insurer.name))::text[],
                            \(ins.map { $0.insurer.webhook != nil })::boolean[]) WITH ORDINALITY AS t (r, i, n, w, o)
                ORDER BY o
                """,
                logger: logger
            )
        }
        try await insertNotifications(
            c,
            w.cases.flatMap { InsurerNotices.opened($0.new, ref: $0.ref, nowNanos: now) },
            nowNanos: now
        )
        if !w.notes.isEmpty {
            let ns = w.notes
            try await c.query(
                """
                INSERT INTO case_note (ref, at_ns, state, text, insurer)
                SELECT r, \(now), s, x, NULLIF(i, '')
                FROM unnest(\(ns.map(\.ref))::text[], \(ns.map(\.note.state))::text[], \(ns.map(\.note.text))::text[],
                            \(ns.map { $0.note.insurer ?? "" })::text[]) WITH ORDINALITY AS t (r, s, x, i, o)
                ORDER BY o
                """,
                logger: logger
            )
        }
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
                try await c.query("UPDATE risk_case SET updated_at_ns = \(nowNanos) WHERE ref = \(ref)", logger: logger)
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
