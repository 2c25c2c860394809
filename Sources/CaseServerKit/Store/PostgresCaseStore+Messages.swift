import Foundation
import GatewayCore
import PostgresNIO

/// `PostgresCaseStore`'s statements for case messages (`CaseMessages`), as SQLite's. A reply is
/// filed by one conditional UPDATE, so of two instances storing replies to one message at once
/// the first to commit answers it and the other's is filed under the case only.
extension PostgresCaseStore: CaseMessages {
    public func send(
        _ draft: CaseMessageDraft,
        ref: String,
        sentBy: String,
        nowNanos: Int64
    ) async throws -> CaseMessage {
        try await transaction { c in
            let final = try await c.query(
                "SELECT final FROM risk_case WHERE ref = \(ref) FOR NO KEY UPDATE",
                logger: logger
            ).collect().first?.decode(Bool.self)
            guard let final else { throw CaseMessageError.noSuchCase(ref) }
            guard !final else { throw CaseMessageError.caseIsFinal(ref) }
            let message = CaseMessage(
                id: CaseMessageDraft.drawID(),
                kind: draft.kind,
                text: draft.text,
                choices: draft.choices,
                freeText: draft.freeText,
                sentAt: RFC3339.format(unixNanos: nowNanos)
            )
            let choices = CaseMessageRows.choicesJSON(message.choices)
            try await c.query(
                """
                INSERT INTO case_message (id, ref, kind, text, choices, free_text, sent_by, sent_at_ns)
                VALUES (\(message.id), \(ref), \(message.kind), \(message.text), \(choices), \(message.freeText),
                        \(sentBy), \(nowNanos))
                """,
                logger: logger
            )
            try await touch(c, ref: ref, nowNanos: nowNanos)
            return message
        }
    }

    public func messages(ref: String) async throws -> [CaseMessage] {
        try await client.withConnection { c in try await messages(c, ref: ref) }
    }

    func messages(_ c: PostgresConnection, ref: String) async throws -> [CaseMessage] {
        var out: [CaseMessage] = []
        let rows = try await c.query(
            """
            SELECT id, kind, text, choices, free_text, sent_at_ns, answer, answered_at_ns, reply_event
            FROM case_message WHERE ref = \(ref) ORDER BY n
            """,
            logger: logger
        )
        for try await (id, kind, text, choices, free, sent, answer, answered, event) in rows.decode(
            (String, String, String, String, Bool, Int64, String?, Int64?, String?).self
        ) {
            out.append(
                CaseMessageRows.message(
                    id: id,
                    kind: kind,
                    text: text,
                    choices: choices,
                    freeText: free,
                    sentAtNanos: sent,
                    answer: answer,
                    answeredAtNanos: answered,
                    replyEvent: event
                )
            )
        }
        return out
    }

    /// As `SQLiteCaseStore.fileReply`, inside `receive`'s transaction. - Returns: whether it
    /// was filed.
    func fileReply(_ c: PostgresConnection, _ r: IncomingReply, nowNanos: Int64) async throws -> Bool {
        let owner = try await c.query(
            """
            SELECT m.ref FROM case_message m WHERE m.id = \(r.message) AND EXISTS (
                SELECT 1 FROM case_event c JOIN event e ON e.id = c.event_id
                WHERE c.ref = m.ref AND e.device = \(r.device))
            """,
            logger: logger
        ).collect().first?.decode(String.self)
        guard owner == r.ref else { return false }
        try await c.query(
            """
            UPDATE case_message SET answer = \(r.answer), answered_at_ns = \(nowNanos), reply_event = \(r.eventID),
                reply_device = \(r.device)
            WHERE id = \(r.message) AND answered_at_ns IS NULL
            """,
            logger: logger
        )
        try await c.query(
            "INSERT INTO case_event (event_id, ref) VALUES (\(r.eventID), \(r.ref)) ON CONFLICT DO NOTHING",
            logger: logger
        )
        try await touch(c, ref: r.ref, nowNanos: nowNanos)
        return true
    }
}
