import GatewayCore
import PostgresNIO

/// The statements `PostgresCaseStore.receive` runs for a batch, in one place. A batch is a
/// transaction of at most five round trips whatever it holds — BEGIN, `InsertEvents`,
/// `ReadFacts`, `ReadCases` (only when the batch touches cases that exist), `WriteBatch`, COMMIT —
/// because on this path the round trips, not the rows, are the cost. Each is a prepared
/// statement: PostgreSQL parses and plans it once per connection, not once per batch. Lists
/// travel as arrays (`unnest`), so the text never changes with the batch.
enum PostgresBatchStatements {
    /// Inserts the events not stored yet; returns the ids it inserted.
    struct InsertEvents: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO event (id, device, seq, received_at_ns, event)
            SELECT i, d, s, $1::bigint, e FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[]) AS t (i, d, s, e)
            ON CONFLICT DO NOTHING RETURNING id
            """
        typealias Row = String

        var now: Int64
        var ids: [String]
        var devices: [String]
        var seqs: [Int64]
        var jsons: [String]

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 5)
            b.append(now)
            b.append(ids)
            b.append(devices)
            b.append(seqs)
            b.append(jsons)
            return b
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(String.self) }
    }

    /// The guidance links of the batch's types, the cases its duplicates are filed under, and the
    /// open case of each of its objects, one row per fact tagged by its kind. The branches run
    /// in order, so the open cases are read last, each with one index probe whatever the
    /// planner knows of the table (a join would be planned as a full scan while a new table has
    /// no statistics), and locked (a row lock, kept in the row, not in the lock table) in the
    /// objects' sorted order: batches joining one case take turns. What the locked cases hold
    /// besides their state is read by the next statement (`ReadCases`), which sees what the
    /// batch that held the lock committed (a statement reads as of its own start).
    struct ReadFacts: PostgresPreparedStatement {
        static let sql = """
            SELECT 'link'::text, type, guidance_id, how, similar_to, shared, linked_at_ns
            FROM guidance_link WHERE type = ANY($1::text[])
            UNION ALL
            SELECT 'filed', event_id, ref, NULL, NULL, NULL, NULL FROM case_event WHERE event_id = ANY($2::text[])
            UNION ALL
            SELECT 'open', r.ref, r.state, o.schema, o.subject, NULL, NULL
            FROM unnest($3::text[], $4::text[]) AS o (schema, subject)
            CROSS JOIN LATERAL (SELECT ref, state FROM risk_case
                                WHERE schema = o.schema AND subject = o.subject AND NOT final LIMIT 1
                                FOR NO KEY UPDATE) AS r
            """
        enum Row {
            case link(GuidanceLink)
            case filed(eventID: String, ref: String)
            case open(CaseBatch.Object, OpenCase)
        }

        var needs: CaseBatch.Needs

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 4)
            b.append(needs.types)
            b.append(needs.filedEventIDs)
            b.append(needs.objects.map(\.schema))
            b.append(needs.objects.map(\.subject))
            return b
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {
            let (kind, a, b, c, d, e, f) = try row.decode(
                (String, String, String, String?, String?, String?, Int64?).self
            )
            switch kind {
            case "link":
                return .link(
                    GuidanceLink(type: a, guidanceID: b, how: c ?? "", similarTo: d, shared: e, linkedAtNanos: f ?? 0)
                )
            case "filed": return .filed(eventID: a, ref: b)
            default: return .open(CaseBatch.Object(schema: c ?? "", subject: d ?? ""), OpenCase(ref: a, state: b))
            }
        }
    }

    /// The state, insurers (with their order) and recent notes of the cases a batch files
    /// under or joins, one row per fact tagged by its kind.
    struct ReadCases: PostgresPreparedStatement {
        static let sql = """
            SELECT 'state'::text, ref, state, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::bigint
            FROM risk_case WHERE ref = ANY($1::text[])
            UNION ALL
            SELECT 'insurer', ref, insurer, name, state, note, updated_at_ns, id FROM case_insurer
            WHERE ref = ANY($1::text[])
            UNION ALL
            SELECT 'note', ref, text, NULL, NULL, NULL, at_ns, NULL FROM case_note
            WHERE ref = ANY($1::text[]) AND at_ns > $2::bigint
            """
        enum Row {
            case state(ref: String, String)
            /// `order`: the row's id; a case's insurers are listed in it.
            case insurer(ref: String, order: Int64, InsurerStatus)
            case note(ref: String, text: String, atNanos: Int64)
        }

        var refs: [String]
        var notesSince: Int64

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 2)
            b.append(refs)
            b.append(notesSince)
            return b
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {
            let (kind, ref, a, b, c, d, at, id) = try row.decode(
                (String, String, String, String?, String?, String?, Int64?, Int64?).self
            )
            switch kind {
            case "state": return .state(ref: ref, a)
            case "insurer":
                let status = InsurerStatus(
                    id: a,
                    name: b ?? "",
                    state: c ?? "",
                    updatedAt: RFC3339.format(unixNanos: at ?? 0),
                    note: d
                )
                return .insurer(ref: ref, order: id ?? 0, status)
            default: return .note(ref: ref, text: a, atNanos: at ?? 0)
            }
        }
    }

    /// Every row a planned batch writes, in one statement of data-modifying CTEs (each runs
    /// once and to the end whether or not the query reads it; an empty list inserts nothing),
    /// and the joined cases' `updated_at` (rows `ReadFacts` locked; a case opened by this
    /// batch is not among them: the CTEs do not see each other's rows).
    /// Returns how many of the new cases were inserted: fewer than planned means another
    /// instance opened one of those objects' cases since the batch read them, and the caller
    /// rolls the whole statement back. Rows with an order (identity ids) are inserted in it
    /// (`WITH ORDINALITY … ORDER BY`); new cases in the objects' order, the same in every
    /// instance, so two batches inserting the same objects wait for each other in one
    /// direction only. Optional text travels as '' and is stored as NULL where '' cannot occur
    /// (guidance ids, insurer ids); a link's optional texts travel with a flag each.
    struct WriteBatch: PostgresPreparedStatement {
        static let sql = """
            WITH links AS (
                INSERT INTO guidance_link (type, guidance_id, how, similar_to, shared, linked_at_ns)
                SELECT t, g, h, CASE WHEN hs THEN s END, CASE WHEN hx THEN x END, a
                FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::text[], $8::boolean[],
                            $9::bigint[]) AS l (t, g, h, s, hs, x, hx, a)
                ON CONFLICT (type) DO UPDATE SET guidance_id = excluded.guidance_id, how = excluded.how,
                    similar_to = excluded.similar_to, shared = excluded.shared, linked_at_ns = excluded.linked_at_ns
            ), cases AS (
                INSERT INTO risk_case (ref, subject, schema, device, state, guidance_id, opened_at_ns, updated_at_ns)
                SELECT r, su, sc, d, st, NULLIF(g, ''), $1::bigint, $1::bigint
                FROM unnest($10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])
                    WITH ORDINALITY AS t (r, su, sc, d, st, g, o)
                ORDER BY o
                ON CONFLICT (schema, subject) WHERE NOT final DO NOTHING
                RETURNING ref
            ), filed AS (
                INSERT INTO case_event (event_id, ref) SELECT * FROM unnest($16::text[], $17::text[])
            ), insurers AS (
                INSERT INTO case_insurer (ref, insurer, name, state, updated_at_ns, webhook)
                SELECT r, i, n, 'notified', $1::bigint, w
                FROM unnest($18::text[], $19::text[], $20::text[], $21::boolean[]) WITH ORDINALITY AS t (r, i, n, w, o)
                ORDER BY o
            ), notices AS (
                INSERT INTO notification (key, ref, insurer, event, body, created_at_ns, due_at_ns)
                SELECT k, r, i, e, b, $1::bigint, $1::bigint
                FROM unnest($22::text[], $23::text[], $24::text[], $25::text[], $26::text[])
                    WITH ORDINALITY AS t (k, r, i, e, b, o)
                ORDER BY o
            ), notes AS (
                INSERT INTO case_note (ref, at_ns, state, text, insurer)
                SELECT r, $1::bigint, s, x, NULLIF(i, '')
                FROM unnest($27::text[], $28::text[], $29::text[], $30::text[]) WITH ORDINALITY AS t (r, s, x, i, o)
                ORDER BY o
            ), tally AS (
                INSERT INTO event_tally (duplicates, rejected)
                SELECT $31::bigint, $32::bigint WHERE $31::bigint > 0 OR $32::bigint > 0
            ), joined AS (
                UPDATE risk_case SET updated_at_ns = $1::bigint WHERE ref = ANY($33::text[])
            )
            SELECT count(*) FROM cases
            """
        typealias Row = Int64

        var now: Int64
        /// Sorted by object (see above).
        var writes: CaseBatch.Writes
        var notices: [InsurerNotices.Outgoing]
        var duplicates: Int
        var rejected: Int

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 33)
            b.append(now)
            let ls = writes.links
            b.append(ls.map(\.type))
            b.append(ls.map(\.guidanceID))
            b.append(ls.map(\.how))
            b.append(ls.map { $0.similarTo ?? "" })
            b.append(ls.map { $0.similarTo != nil })
            b.append(ls.map { $0.shared ?? "" })
            b.append(ls.map { $0.shared != nil })
            b.append(ls.map(\.linkedAtNanos))
            let cs = writes.cases
            b.append(cs.map(\.ref))
            b.append(cs.map(\.new.subject))
            b.append(cs.map(\.new.schema))
            b.append(cs.map(\.new.device))
            b.append(cs.map(\.new.state))
            b.append(cs.map { $0.new.guidanceID ?? "" })
            b.append(writes.caseEvents.map(\.eventID))
            b.append(writes.caseEvents.map(\.ref))
            let ins = writes.insurers
            b.append(ins.map(\.ref))
            b.append(ins.map(\.insurer.id))
            b.append(ins.map(\.insurer.name))
            b.append(ins.map { $0.insurer.webhook != nil })
            b.append(notices.map(\.key))
            b.append(notices.map(\.ref))
            b.append(notices.map(\.insurer))
            b.append(notices.map(\.event.rawValue))
            b.append(notices.map(\.body))
            let ns = writes.notes
            b.append(ns.map(\.ref))
            b.append(ns.map(\.note.state))
            b.append(ns.map(\.note.text))
            b.append(ns.map { $0.note.insurer ?? "" })
            b.append(Int64(duplicates))
            b.append(Int64(rejected))
            b.append(writes.joined.sorted())
            return b
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
    }
}
