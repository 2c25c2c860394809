import GatewayCore
import PostgresNIO

/// `PostgresCaseStore`'s reads and the one write the console's pages need (`CaseRepository`).
extension PostgresCaseStore {
    public func caseChanges(sinceNanos: Int64, afterRef: String, limit: Int) async throws -> [CaseChange] {
        try await client.withConnection { c in
            try await changes(
                c,
                try await c.query(
                    """
                    SELECT ref, subject, schema, device, state, final, opened_at_ns, updated_at_ns FROM risk_case
                    WHERE updated_at_ns >= \(sinceNanos) AND (updated_at_ns > \(sinceNanos) OR ref > \(afterRef))
                    ORDER BY updated_at_ns, ref LIMIT \(limit)
                    """,
                    logger: logger
                )
            )
        }
    }

    public func caseChange(ref: String) async throws -> CaseChange? {
        try await client.withConnection { c in
            try await changes(
                c,
                try await c.query(
                    """
                    SELECT ref, subject, schema, device, state, final, opened_at_ns, updated_at_ns FROM risk_case
                    WHERE ref = \(ref)
                    """,
                    logger: logger
                )
            ).first
        }
    }

    private func changes(_ c: PostgresConnection, _ rows: PostgresRowSequence) async throws -> [CaseChange] {
        var out: [CaseChange] = []
        for try await (ref, subject, schema, device, state, final, opened, updated) in rows.decode(
            (String, String, String, String, String, Bool, Int64, Int64).self
        ) {
            out.append(
                CaseChange(
                    ref: ref,
                    subject: subject,
                    schema: schema,
                    device: device,
                    state: state,
                    final: final,
                    openedAtNanos: opened,
                    updatedAtNanos: updated,
                    insurers: []
                )
            )
        }
        guard !out.isEmpty else { return out }
        let byCase = try await insurers(c, refs: out.map(\.ref))
        for i in out.indices { out[i].insurers = byCase[out[i].ref] ?? [] }
        return out
    }

    public func caseEvents(ref: String) async throws -> [StoredEvent] {
        try await storedEvents(
            """
            SELECT e.id, e.device, e.seq, e.received_at_ns, e.event FROM case_event c
            JOIN event e ON e.id = c.event_id WHERE c.ref = \(ref) ORDER BY e.received_at_ns, e.device, e.seq
            """
        )
    }

    public func events(receivedSinceNanos: Int64) async throws -> [StoredEvent] {
        try await storedEvents(
            """
            SELECT id, device, seq, received_at_ns, event FROM event WHERE received_at_ns >= \(receivedSinceNanos)
            ORDER BY received_at_ns, device, seq
            """
        )
    }

    private func storedEvents(_ query: PostgresQuery) async throws -> [StoredEvent] {
        var out: [StoredEvent] = []
        for try await (id, device, seq, at, json) in try await client.query(query, logger: logger).decode(
            (String, String, Int64, Int64, String).self
        ) {
            out.append(StoredEvent(id: id, device: device, seq: seq, receivedAtNanos: at, eventJSON: json))
        }
        return out
    }

    public func promoteGuidanceLink(type: String, nowNanos: Int64) async throws -> Bool {
        let rows = try await client.query(
            """
            UPDATE guidance_link SET how = 'configured', similar_to = NULL, shared = NULL, linked_at_ns = \(nowNanos)
            WHERE type = \(type) AND how = 'similar' RETURNING type
            """,
            logger: logger
        ).collect()
        return rows.count == 1
    }
}
