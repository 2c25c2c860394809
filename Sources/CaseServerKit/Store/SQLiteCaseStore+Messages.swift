import Foundation
import GRDB
import GatewayCore

/// `SQLiteCaseStore`'s statements for case messages (`CaseMessages`): sending, listing with a
/// case's status, and filing a terminal's reply inside `receive`'s transaction.
extension SQLiteCaseStore: CaseMessages {
    /// Migration "case-messages". `n` orders a case's messages as they were sent.
    static let messagesSchema = """
        CREATE TABLE case_message (
            n INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            ref TEXT NOT NULL,
            kind TEXT NOT NULL,
            text TEXT NOT NULL,
            choices TEXT NOT NULL,
            free_text INTEGER NOT NULL,
            sent_by TEXT NOT NULL,
            sent_at_ns INTEGER NOT NULL,
            answer TEXT,
            answered_at_ns INTEGER,
            reply_event TEXT,
            reply_device TEXT
        );
        CREATE INDEX case_message_ref ON case_message (ref, n);
        """

    public func send(
        _ draft: CaseMessageDraft,
        ref: String,
        sentBy: String,
        nowNanos: Int64
    ) async throws -> CaseMessage {
        try await pool.write { db in
            guard let final = try Bool.fetchOne(db, sql: "SELECT final FROM risk_case WHERE ref = ?", arguments: [ref])
            else { throw CaseMessageError.noSuchCase(ref) }
            guard !final else { throw CaseMessageError.caseIsFinal(ref) }
            let message = CaseMessage(
                id: CaseMessageDraft.drawID(),
                kind: draft.kind,
                text: draft.text,
                choices: draft.choices,
                freeText: draft.freeText,
                sentAt: RFC3339.format(unixNanos: nowNanos)
            )
            try db.execute(
                sql: """
                    INSERT INTO case_message (id, ref, kind, text, choices, free_text, sent_by, sent_at_ns)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    message.id, ref, message.kind, message.text, CaseMessageRows.choicesJSON(message.choices),
                    message.freeText, sentBy, nowNanos,
                ]
            )
            try SQLiteCaseBook.touch(db, ref: ref, nowNanos: nowNanos)
            return message
        }
    }

    public func messages(ref: String) async throws -> [CaseMessage] {
        try await pool.read { db in try Self.messages(db, ref: ref) }
    }

    static func messages(_ db: Database, ref: String) throws -> [CaseMessage] {
        let sql = """
            SELECT id, kind, text, choices, free_text, sent_at_ns, answer, answered_at_ns, reply_event
            FROM case_message WHERE ref = ? ORDER BY n
            """
        return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: [ref]).map {
            CaseMessageRows.message(
                id: $0["id"],
                kind: $0["kind"],
                text: $0["text"],
                choices: $0["choices"],
                freeText: $0["free_text"],
                sentAtNanos: $0["sent_at_ns"],
                answer: $0["answer"],
                answeredAtNanos: $0["answered_at_ns"],
                replyEvent: $0["reply_event"]
            )
        }
    }

    /// Files a reply under its message: the first reply answers it (a later one changes no row);
    /// every reply to a message of its case is filed under the case (the case's timeline lists
    /// it). A reply naming a message of no case or of another case, or sent by a terminal with
    /// no event of its own under that case, is stored and filed under nothing: the message and
    /// the case reference are not secrets enough for any enrolled terminal to answer for the
    /// one on site (`case_event_ref` finds the case's events). - Returns: whether it was filed.
    static func fileReply(_ db: Database, _ r: IncomingReply, nowNanos: Int64) throws -> Bool {
        let owner = try String.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT m.ref FROM case_message m WHERE m.id = ? AND EXISTS (
                        SELECT 1 FROM case_event c JOIN event e ON e.id = c.event_id
                        WHERE c.ref = m.ref AND e.device = ?)
                    """
            ),
            arguments: [r.message, r.device]
        )
        guard owner == r.ref else { return false }
        try db.cachedStatement(
            sql: """
                UPDATE case_message SET answer = ?, answered_at_ns = ?, reply_event = ?, reply_device = ?
                WHERE id = ? AND answered_at_ns IS NULL
                """
        ).execute(arguments: [r.answer, nowNanos, r.eventID, r.device, r.message])
        try db.cachedStatement(sql: "INSERT INTO case_event (event_id, ref) VALUES (?, ?) ON CONFLICT DO NOTHING")
            .execute(arguments: [r.eventID, r.ref])
        try SQLiteCaseBook.touch(db, ref: r.ref, nowNanos: nowNanos)
        return true
    }
}
