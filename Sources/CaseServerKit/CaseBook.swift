import Foundation
import GRDB
import GatewayCore

/// Risk cases: opened by the first scan of an insured object's label, joined by later scans of
/// it while open, with every insurer covering the object, each with its own state, and a
/// history of states and notes. Also where each event type's guidance is linked (configured,
/// or taken from the most similar known type and recorded as such).
///
/// All of it runs inside `CaseStore`'s transactions; the database is `CaseStore`'s.
public enum CaseBook {
    /// A case's states, in their usual order; `resolved` and `closed` end it.
    public static let caseStates = ["opened", "insurers_notified", "assessor_assigned", "assessor_on_site", "repair_arranged", "resolved", "closed"]
    public static let finalStates: Set<String> = ["resolved", "closed"]
    /// One insurer's states.
    public static let insurerStates = ["notified", "acknowledged", "assessor_assigned", "claim_opened", "declined", "settled"]

    static func migrate(_ m: inout DatabaseMigrator) {
        m.registerMigration("v2-cases") { db in
            try db.execute(sql: """
                CREATE TABLE risk_case (
                    ref TEXT PRIMARY KEY,
                    subject TEXT NOT NULL,
                    schema TEXT NOT NULL,
                    device TEXT NOT NULL,
                    state TEXT NOT NULL,
                    final INTEGER NOT NULL DEFAULT 0,
                    guidance_id TEXT,
                    opened_at_ns INTEGER NOT NULL,
                    updated_at_ns INTEGER NOT NULL
                );
                CREATE INDEX risk_case_open ON risk_case (schema, subject) WHERE final = 0;
                CREATE TABLE case_insurer (
                    ref TEXT NOT NULL,
                    insurer TEXT NOT NULL,
                    name TEXT NOT NULL,
                    state TEXT NOT NULL,
                    note TEXT,
                    updated_at_ns INTEGER NOT NULL,
                    PRIMARY KEY (ref, insurer)
                );
                CREATE TABLE case_note (
                    ref TEXT NOT NULL,
                    at_ns INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    text TEXT NOT NULL,
                    insurer TEXT
                );
                CREATE INDEX case_note_ref ON case_note (ref, at_ns);
                CREATE TABLE case_event (event_id TEXT PRIMARY KEY, ref TEXT NOT NULL);
                CREATE TABLE guidance_link (
                    type TEXT PRIMARY KEY,
                    guidance_id TEXT NOT NULL,
                    how TEXT NOT NULL,
                    similar_to TEXT,
                    shared TEXT,
                    linked_at_ns INTEGER NOT NULL
                );
                """)
        }
    }

    /// What the answer to an accepted (or duplicate) envelope carries.
    public struct Answer: Sendable, Equatable {
        public var caseInfo: CaseInfo?
        public var guidance: Guidance?
    }

    /// The case and guidance for one stored event: a subject's scan opens a case (or joins the
    /// open one for that object); every event gets the guidance of its type. A duplicate gets
    /// what the first delivery got.
    ///
    /// `known` holds the guidance already looked up in this transaction, by type: a batch is
    /// mostly of a few types, and its link cannot change within the transaction. `fresh`: the
    /// event was stored just now, so no case can list it yet (one lookup less per new scan).
    static func handle(_ db: Database, _ h: EventHeader, fresh: Bool, policy: CasePolicy, nowNanos: Int64,
                       known: inout [EventType: Guidance?]) throws -> Answer {
        // A heartbeat is the terminal's, not a report: no case, no guidance.
        guard h.kind == nil else { return Answer(caseInfo: nil, guidance: nil) }
        let type = EventType(header: h)
        let guidance: Guidance?
        if let g = known[type] {
            guidance = g
        } else {
            guidance = try self.guidance(db, for: type, catalog: policy.catalog, nowNanos: nowNanos)
            known[type] = .some(guidance)
        }
        guard let tag = h.tag, tag.kind == .subject, let subject = tag.subject, !subject.isEmpty else {
            return Answer(caseInfo: nil, guidance: guidance)
        }
        if !fresh, let ref = try String.fetchOne(db.cachedStatement(sql: "SELECT ref FROM case_event WHERE event_id = ?"), arguments: [h.id]) {
            return Answer(caseInfo: try info(db, ref: ref, opened: false), guidance: guidance)
        }
        let schema = tag.schema ?? ""
        if let ref = try String.fetchOne(db.cachedStatement(sql: "SELECT ref FROM risk_case WHERE schema = ? AND subject = ? AND final = 0 ORDER BY opened_at_ns DESC LIMIT 1"),
                                         arguments: [schema, subject]) {
            try db.cachedStatement(sql: "INSERT INTO case_event (event_id, ref) VALUES (?, ?)").execute(arguments: [h.id, ref])
            // Another report of the same object: noted once a minute per terminal at most.
            let recent = try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM case_note WHERE ref = ? AND text = ? AND at_ns > ?)"),
                                           arguments: [ref, "scanned again at \(h.device)", nowNanos - 60_000_000_000]) ?? false
            if !recent {
                let state = try String.fetchOne(db.cachedStatement(sql: "SELECT state FROM risk_case WHERE ref = ?"), arguments: [ref]) ?? "opened"
                try note(db, ref: ref, state: state, text: "scanned again at \(h.device)", insurer: nil, nowNanos: nowNanos)
            }
            return Answer(caseInfo: try info(db, ref: ref, opened: false), guidance: guidance)
        }
        let insurers = policy.insurers(covering: subject, schema: tag.schema)
        let state = insurers.isEmpty ? "opened" : "insurers_notified"
        let ref = try insertCase(db, subject: subject, schema: schema, device: h.device, state: state, guidanceID: guidance?.id, nowNanos: nowNanos)
        try db.cachedStatement(sql: "INSERT INTO case_event (event_id, ref) VALUES (?, ?)").execute(arguments: [h.id, ref])
        // One note when nobody is to be told (a row less per case: the drain opens thousands).
        try note(db, ref: ref, state: "opened", text: "opened by a scan at \(h.device)" + (insurers.isEmpty ? "; no insurer on record for this object" : ""),
                 insurer: nil, nowNanos: nowNanos)
        for i in insurers {
            try db.cachedStatement(sql: "INSERT INTO case_insurer (ref, insurer, name, state, updated_at_ns) VALUES (?, ?, ?, 'notified', ?)").execute(arguments: [ref, i.id, i.name, nowNanos])
            try note(db, ref: ref, state: "notified", text: "\(i.name) notified", insurer: i.id, nowNanos: nowNanos)
        }
        // What `info` would read back, without reading it back.
        let at = RFC3339.format(unixNanos: nowNanos)
        let told = insurers.map { InsurerStatus(id: $0.id, name: $0.name, state: "notified", updatedAt: at, note: nil) }
        return Answer(caseInfo: CaseInfo(ref: ref, state: state, opened: true, insurers: told), guidance: guidance)
    }

    /// The linked guidance of a type, linking it first when it has none: its own configured
    /// entry, else the most similar known type's (recorded with the type it came from and what
    /// they share). A link to similar guidance gives way once the type gets an entry of its own.
    static func guidance(_ db: Database, for type: EventType, catalog: GuidanceCatalog, nowNanos: Int64) throws -> Guidance? {
        let key = type.description
        if let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT guidance_id, how, similar_to FROM guidance_link WHERE type = ?"), arguments: [key]),
           var g = catalog.guidance(id: row["guidance_id"]),
           row["how"] == "configured" || !catalog.configures(type) {
            if row["how"] == "similar" {
                g.match = "similar"
                g.similarTo = row["similar_to"]
            }
            return g
        }
        guard let choice = catalog.choose(for: type) else { return nil }
        switch choice {
        case .configured(let g):
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO guidance_link (type, guidance_id, how, similar_to, shared, linked_at_ns) VALUES (?, ?, 'configured', NULL, NULL, ?)").execute(arguments: [key, g.id, nowNanos])
            return g
        case .similar(let g, let to, let shared):
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO guidance_link (type, guidance_id, how, similar_to, shared, linked_at_ns) VALUES (?, ?, 'similar', ?, ?, ?)").execute(arguments: [key, g.id, to.description, shared.joined(separator: ","), nowNanos])
            return g
        }
    }

    static func note(_ db: Database, ref: String, state: String, text: String, insurer: String?, nowNanos: Int64) throws {
        try db.cachedStatement(sql: "INSERT INTO case_note (ref, at_ns, state, text, insurer) VALUES (?, ?, ?, ?, ?)").execute(arguments: [ref, nowNanos, state, text, insurer])
    }

    /// Inserts a new case under a fresh reference and returns it: `RC-` and 10 characters of
    /// Crockford base32 (50 random bits), not guessable from another case's reference, which is
    /// all a terminal needs to follow it. A reference already taken (one in 2^50 per case) is
    /// left by the primary key (`OR IGNORE`, no row changed) and another is drawn.
    static func insertCase(_ db: Database, subject: String, schema: String, device: String, state: String, guidanceID: String?,
                           nowNanos: Int64) throws -> String {
        let insert = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO risk_case (ref, subject, schema, device, state, guidance_id, opened_at_ns, updated_at_ns)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        while true {
            let ref = newRef()
            try insert.execute(arguments: [ref, subject, schema, device, state, guidanceID, nowNanos, nowNanos])
            if db.changesCount == 1 { return ref }
        }
    }

    static func newRef() -> String {
        // One 64-bit draw (one getrandom call), 5 bits a character.
        var rng = SystemRandomNumberGenerator()
        let bits = rng.next()
        return "RC-" + String((0..<10).map { refAlphabet[Int((bits >> (5 * UInt64($0))) & 31)] })
    }

    static let refAlphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    static func insurers(_ db: Database, ref: String) throws -> [InsurerStatus] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT insurer, name, state, note, updated_at_ns FROM case_insurer WHERE ref = ? ORDER BY rowid"), arguments: [ref]).map {
            InsurerStatus(id: $0["insurer"], name: $0["name"], state: $0["state"], updatedAt: RFC3339.format(unixNanos: $0["updated_at_ns"]), note: $0["note"])
        }
    }

    static func info(_ db: Database, ref: String, opened: Bool) throws -> CaseInfo? {
        guard let state = try String.fetchOne(db.cachedStatement(sql: "SELECT state FROM risk_case WHERE ref = ?"), arguments: [ref]) else { return nil }
        return CaseInfo(ref: ref, state: state, opened: opened, insurers: try insurers(db, ref: ref))
    }

    /// `GET /v1/cases/{ref}`; nil when there is no such case.
    static func status(_ db: Database, ref: String, catalog: GuidanceCatalog) throws -> CaseStatus? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM risk_case WHERE ref = ?", arguments: [ref]) else { return nil }
        let notes = try Row.fetchAll(db, sql: "SELECT at_ns, state, text, insurer FROM case_note WHERE ref = ? ORDER BY at_ns, rowid", arguments: [ref]).map {
            CaseNote(at: RFC3339.format(unixNanos: $0["at_ns"]), state: $0["state"], text: $0["text"], insurer: $0["insurer"])
        }
        let schema: String = row["schema"]
        return CaseStatus(ref: ref, state: row["state"], final: row["final"] as Bool, subject: row["subject"], schema: schema.isEmpty ? nil : schema,
                          openedAt: RFC3339.format(unixNanos: row["opened_at_ns"]), updatedAt: RFC3339.format(unixNanos: row["updated_at_ns"]),
                          guidance: (row["guidance_id"] as String?).flatMap(catalog.guidance(id:)), insurers: try insurers(db, ref: ref), notes: notes)
    }

    public enum ProgressError: Error, Equatable, CustomStringConvertible {
        case noSuchCase(String)
        case unknownState(String, valid: [String])
        case noSuchInsurer(String, onCase: [String])
        case caseClosed(String)

        public var description: String {
            switch self {
            case .noSuchCase(let r): return "no case \(r) (case-server cases lists them)"
            case .unknownState(let s, let valid): return "unknown state '\(s)'; use one of \(valid.joined(separator: ", "))"
            case .noSuchInsurer(let i, let on): return "insurer '\(i)' is not on this case; it has \(on.isEmpty ? "none" : on.joined(separator: ", "))"
            case .caseClosed(let r): return "case \(r) is resolved or closed; only resolved or closed can follow"
            }
        }
    }

    /// A step in a case's progress: the case's state, or one insurer's, and a note.
    static func progress(_ db: Database, ref: String, state: String, note text: String, insurer: String?, nowNanos: Int64) throws -> Void {
        guard let row = try Row.fetchOne(db, sql: "SELECT state, final FROM risk_case WHERE ref = ?", arguments: [ref]) else {
            throw ProgressError.noSuchCase(ref)
        }
        if let insurer {
            guard insurerStates.contains(state) else { throw ProgressError.unknownState(state, valid: insurerStates) }
            let on = try String.fetchAll(db, sql: "SELECT insurer FROM case_insurer WHERE ref = ? ORDER BY rowid", arguments: [ref])
            guard on.contains(insurer) else { throw ProgressError.noSuchInsurer(insurer, onCase: on) }
            try db.execute(sql: "UPDATE case_insurer SET state = ?, note = ?, updated_at_ns = ? WHERE ref = ? AND insurer = ?",
                           arguments: [state, text.isEmpty ? nil : text, nowNanos, ref, insurer])
        } else {
            guard caseStates.contains(state) else { throw ProgressError.unknownState(state, valid: caseStates) }
            if row["final"] as Bool, !finalStates.contains(state) { throw ProgressError.caseClosed(ref) }
            try db.execute(sql: "UPDATE risk_case SET state = ?, final = ? WHERE ref = ?", arguments: [state, finalStates.contains(state), ref])
        }
        try db.execute(sql: "UPDATE risk_case SET updated_at_ns = ? WHERE ref = ?", arguments: [nowNanos, ref])
        try note(db, ref: ref, state: state, text: text, insurer: insurer, nowNanos: nowNanos)
    }

    /// One row of `case-server cases`.
    public struct Summary: Sendable, Equatable {
        public var ref: String
        public var subject: String
        public var schema: String
        public var state: String
        public var insurers: [InsurerStatus]
        public var openedAt: String
    }

    static func list(_ db: Database) throws -> [Summary] {
        try Row.fetchAll(db, sql: "SELECT ref, subject, schema, state, opened_at_ns FROM risk_case ORDER BY opened_at_ns").map {
            Summary(ref: $0["ref"], subject: $0["subject"], schema: $0["schema"], state: $0["state"],
                    insurers: try insurers(db, ref: $0["ref"]), openedAt: RFC3339.format(unixNanos: $0["opened_at_ns"]))
        }
    }

    /// One row of `case-server guidance`: how a type got its guidance.
    public struct Link: Sendable, Equatable {
        public var type: String
        public var guidanceID: String
        public var how: String
        public var similarTo: String?
        public var shared: String?
        public var linkedAt: String
    }

    static func links(_ db: Database) throws -> [Link] {
        try Row.fetchAll(db, sql: "SELECT * FROM guidance_link ORDER BY linked_at_ns").map {
            Link(type: $0["type"], guidanceID: $0["guidance_id"], how: $0["how"], similarTo: $0["similar_to"], shared: $0["shared"],
                 linkedAt: RFC3339.format(unixNanos: $0["linked_at_ns"]))
        }
    }
}
