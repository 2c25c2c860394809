import Foundation
import GRDB
import GatewayCore

/// `SQLiteCaseStore`'s statements for the case book: the facts `CaseRules` asks for, the
/// translation of its plans, and the reads of cases and links. Everything runs inside the
/// store's transactions. Per event: the statements are cached, a new case is answered without
/// reading it back, and a type's guidance is looked up once per transaction (`CaseRules.plan`).
enum SQLiteCaseBook {
    /// `CaseFacts` from the transaction's connection.
    struct Facts: CaseFacts {
        let db: Database

        func guidanceLink(type: String) throws -> GuidanceLink? {
            let sql = "SELECT guidance_id, how, similar_to, shared, linked_at_ns FROM guidance_link WHERE type = ?"
            return try Row.fetchOne(db.cachedStatement(sql: sql), arguments: [type]).map {
                GuidanceLink(
                    type: type,
                    guidanceID: $0["guidance_id"],
                    how: $0["how"],
                    similarTo: $0["similar_to"],
                    shared: $0["shared"],
                    linkedAtNanos: $0["linked_at_ns"]
                )
            }
        }

        func caseFiled(eventID: String) throws -> String? {
            try String.fetchOne(
                db.cachedStatement(sql: "SELECT ref FROM case_event WHERE event_id = ?"),
                arguments: [eventID]
            )
        }

        func openCase(schema: String, subject: String) throws -> OpenCase? {
            let sql = """
                SELECT ref, state FROM risk_case WHERE schema = ? AND subject = ? AND final = 0
                ORDER BY opened_at_ns DESC LIMIT 1
                """
            return try Row.fetchOne(db.cachedStatement(sql: sql), arguments: [schema, subject]).map {
                OpenCase(ref: $0["ref"], state: $0["state"])
            }
        }

        func hasNote(ref: String, text: String, afterNanos: Int64) throws -> Bool {
            let sql = "SELECT EXISTS (SELECT 1 FROM case_note WHERE ref = ? AND text = ? AND at_ns > ?)"
            return try Bool.fetchOne(db.cachedStatement(sql: sql), arguments: [ref, text, afterNanos]) ?? false
        }
    }

    /// Writes what a plan says and returns the event's answer.
    static func apply(_ plan: CasePlan, eventID: String, _ db: Database, nowNanos: Int64) throws -> CaseAnswer {
        if let link = plan.link {
            try db.cachedStatement(
                sql: """
                    INSERT INTO guidance_link (type, guidance_id, how, similar_to, shared, linked_at_ns)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (type) DO UPDATE SET guidance_id = excluded.guidance_id, how = excluded.how,
                        similar_to = excluded.similar_to, shared = excluded.shared, linked_at_ns = excluded.linked_at_ns
                    """
            ).execute(arguments: [
                link.type, link.guidanceID, link.how, link.similarTo, link.shared, link.linkedAtNanos,
            ])
        }
        switch plan.action {
        case nil:
            return CaseAnswer(caseInfo: nil, guidance: plan.guidance)
        case .answerFiled(let ref):
            return CaseAnswer(caseInfo: try info(db, ref: ref), guidance: plan.guidance)
        case .join(let open, let note):
            try fileEvent(db, eventID: eventID, ref: open.ref)
            if let note { try write(db, note, ref: open.ref, nowNanos: nowNanos) }
            try touch(db, ref: open.ref, nowNanos: nowNanos)
            let info = CaseInfo(
                ref: open.ref,
                state: open.state,
                opened: false,
                insurers: try insurers(db, ref: open.ref)
            )
            return CaseAnswer(caseInfo: info, guidance: plan.guidance)
        case .open(let new):
            let ref = try insertCase(db, new, nowNanos: nowNanos)
            try fileEvent(db, eventID: eventID, ref: ref)
            for note in new.notes { try write(db, note, ref: ref, nowNanos: nowNanos) }
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO case_insurer (ref, insurer, name, state, updated_at_ns, webhook)
                    VALUES (?, ?, ?, 'notified', ?, ?)
                    """
            )
            for i in new.insurers { try insert.execute(arguments: [ref, i.id, i.name, nowNanos, i.webhook != nil]) }
            try SQLiteNotificationOutbox.insert(
                db,
                InsurerNotices.opened(new, ref: ref, nowNanos: nowNanos),
                nowNanos: nowNanos
            )
            return CaseAnswer(caseInfo: new.answer(ref: ref, nowNanos: nowNanos), guidance: plan.guidance)
        }
    }

    static func fileEvent(_ db: Database, eventID: String, ref: String) throws {
        try db.cachedStatement(sql: "INSERT INTO case_event (event_id, ref) VALUES (?, ?)").execute(arguments: [
            eventID, ref,
        ])
    }

    /// A change of the case — a scan joining it, a step, a message, a reply: its `updated_at`,
    /// which the console's live list and case page follow.
    static func touch(_ db: Database, ref: String, nowNanos: Int64) throws {
        try db.cachedStatement(sql: "UPDATE risk_case SET updated_at_ns = ? WHERE ref = ?").execute(arguments: [
            nowNanos, ref,
        ])
    }

    static func write(_ db: Database, _ note: CasePlan.Note, ref: String, nowNanos: Int64) throws {
        try db.cachedStatement(sql: "INSERT INTO case_note (ref, at_ns, state, text, insurer) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [ref, nowNanos, note.state, note.text, note.insurer])
    }

    /// Inserts a new case under a fresh reference and returns it; a reference already taken is
    /// left by the primary key (no row changed) and another is drawn.
    static func insertCase(_ db: Database, _ new: CasePlan.NewCase, nowNanos: Int64) throws -> String {
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO risk_case (ref, subject, schema, device, state, guidance_id, opened_at_ns, updated_at_ns)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ref) DO NOTHING
                """
        )
        while true {
            let ref = CaseReference.draw()
            try insert.execute(arguments: [
                ref, new.subject, new.schema, new.device, new.state, new.guidanceID, nowNanos, nowNanos,
            ])
            if db.changesCount == 1 { return ref }
        }
    }

    static func insurers(_ db: Database, ref: String) throws -> [InsurerStatus] {
        let sql = "SELECT insurer, name, state, note, updated_at_ns FROM case_insurer WHERE ref = ? ORDER BY id"
        return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: [ref]).map {
            InsurerStatus(
                id: $0["insurer"],
                name: $0["name"],
                state: $0["state"],
                updatedAt: RFC3339.format(unixNanos: $0["updated_at_ns"]),
                note: $0["note"]
            )
        }
    }

    static func info(_ db: Database, ref: String) throws -> CaseInfo? {
        guard
            let state = try String.fetchOne(
                db.cachedStatement(sql: "SELECT state FROM risk_case WHERE ref = ?"),
                arguments: [ref]
            )
        else { return nil }
        return CaseInfo(ref: ref, state: state, opened: false, insurers: try insurers(db, ref: ref))
    }

    static func status(_ db: Database, ref: String, catalog: GuidanceCatalog) throws -> CaseStatus? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM risk_case WHERE ref = ?", arguments: [ref]) else {
            return nil
        }
        let notes = try Row.fetchAll(
            db,
            sql: "SELECT at_ns, state, text, insurer FROM case_note WHERE ref = ? ORDER BY at_ns, id",
            arguments: [ref]
        ).map {
            CaseNote(
                at: RFC3339.format(unixNanos: $0["at_ns"]),
                state: $0["state"],
                text: $0["text"],
                insurer: $0["insurer"]
            )
        }
        let schema: String = row["schema"]
        return CaseStatus(
            ref: ref,
            state: row["state"],
            final: row["final"] as Bool,
            subject: row["subject"],
            schema: schema.isEmpty ? nil : schema,
            openedAt: RFC3339.format(unixNanos: row["opened_at_ns"]),
            updatedAt: RFC3339.format(unixNanos: row["updated_at_ns"]),
            guidance: (row["guidance_id"] as String?).flatMap(catalog.guidance(id:)),
            insurers: try insurers(db, ref: ref),
            notes: notes,
            messages: try SQLiteCaseStore.messages(db, ref: ref)
        )
    }

    static func progress(
        _ db: Database,
        ref: String,
        state: String,
        note text: String,
        insurer: String?,
        nowNanos: Int64
    ) throws {
        let final = try Bool.fetchOne(db, sql: "SELECT final FROM risk_case WHERE ref = ?", arguments: [ref])
        let update = try CaseProgress.check(ref: ref, state: state, note: text, insurer: insurer, caseIsFinal: final) {
            try String.fetchAll(db, sql: "SELECT insurer FROM case_insurer WHERE ref = ? ORDER BY id", arguments: [ref])
        }
        switch update {
        case .insurerState(let state, let insurer, let note):
            try db.execute(
                sql: "UPDATE case_insurer SET state = ?, note = ?, updated_at_ns = ? WHERE ref = ? AND insurer = ?",
                arguments: [state, note, nowNanos, ref, insurer]
            )
        case .caseState(let state, let final):
            try db.execute(
                sql: "UPDATE risk_case SET state = ?, final = ? WHERE ref = ?",
                arguments: [state, final, ref]
            )
        }
        try touch(db, ref: ref, nowNanos: nowNanos)
        try write(db, CasePlan.Note(state: state, text: text, insurer: insurer), ref: ref, nowNanos: nowNanos)
        try SQLiteNotificationOutbox.enqueue(db, for: update, ref: ref, nowNanos: nowNanos)
    }

    static func list(_ db: Database) throws -> [CaseSummary] {
        try Row.fetchAll(
            db,
            sql: "SELECT ref, subject, schema, state, opened_at_ns FROM risk_case ORDER BY opened_at_ns"
        ).map {
            CaseSummary(
                ref: $0["ref"],
                subject: $0["subject"],
                schema: $0["schema"],
                state: $0["state"],
                insurers: try insurers(db, ref: $0["ref"]),
                openedAt: RFC3339.format(unixNanos: $0["opened_at_ns"])
            )
        }
    }

    static func links(_ db: Database) throws -> [GuidanceLink] {
        try Row.fetchAll(db, sql: "SELECT * FROM guidance_link ORDER BY linked_at_ns").map {
            GuidanceLink(
                type: $0["type"],
                guidanceID: $0["guidance_id"],
                how: $0["how"],
                similarTo: $0["similar_to"],
                shared: $0["shared"],
                linkedAtNanos: $0["linked_at_ns"]
            )
        }
    }
}
