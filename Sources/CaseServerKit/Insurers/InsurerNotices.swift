import GatewayCore

/// Which notifications a case change produces, apart from any store: a store writes the rows this
/// returns in the transaction that makes the change (an outbox), and the dispatcher sends them.
///
/// - A case opened with insurers: one `opened` notification per insurer with a webhook.
/// - The case handler's change of the case's state (progress without `insurer`): one
///   `state_changed` per insurer on the case with a webhook, final states included.
/// - An insurer's own step changes only its state: nobody is notified.
///
/// Whether an insurer on a case has a webhook is decided when the case opens (recorded with
/// the insurer on the case), so a policy changed later does not start notifying insurers about
/// cases opened before.
public enum InsurerNotices {
    /// A notification ready to be written: its body is fixed now, its signature is made when it
    /// is sent.
    public struct Outgoing: Sendable, Equatable {
        /// The `Idempotency-Key`: the same on every attempt.
        public var key: String
        public var ref: String
        public var insurer: String
        public var event: InsurerNotification.Event
        public var body: String
    }

    /// A case as the notifications describe it.
    public struct NotifiedCase: Sendable, Equatable {
        public var ref: String
        public var subject: String
        /// "" when no schema matched, as the store keeps it.
        public var schema: String
        public var guidanceID: String?

        public init(ref: String, subject: String, schema: String, guidanceID: String?) {
            self.ref = ref
            self.subject = subject
            self.schema = schema
            self.guidanceID = guidanceID
        }
    }

    /// For a case just opened under `ref`.
    public static func opened(
        _ new: CasePlan.NewCase,
        ref: String,
        nowNanos: Int64,
        key: () -> String = NotificationKey.draw
    ) -> [Outgoing] {
        let facts = NotifiedCase(ref: ref, subject: new.subject, schema: new.schema, guidanceID: new.guidanceID)
        return new.insurers.filter { $0.webhook != nil }.map {
            outgoing(facts, event: .opened, state: new.state, insurer: $0.id, nowNanos: nowNanos, key: key())
        }
    }

    /// For a step of progress. - Parameter insurers: the insurers on the case with whether each
    /// has a webhook, in their order.
    public static func progressed(
        _ update: CaseProgress.Update,
        case facts: NotifiedCase,
        insurers: [(id: String, webhook: Bool)],
        nowNanos: Int64,
        key: () -> String = NotificationKey.draw
    ) -> [Outgoing] {
        guard case .caseState(let state, _) = update else { return [] }
        return insurers.filter(\.webhook).map {
            outgoing(facts, event: .stateChanged, state: state, insurer: $0.id, nowNanos: nowNanos, key: key())
        }
    }

    static func outgoing(
        _ c: NotifiedCase,
        event: InsurerNotification.Event,
        state: String,
        insurer: String,
        nowNanos: Int64,
        key: String
    ) -> Outgoing {
        let n = InsurerNotification(
            case: c.ref,
            event: event,
            state: state,
            insurer: insurer,
            subject: c.subject,
            schema: c.schema.isEmpty ? nil : c.schema,
            guidanceID: c.guidanceID,
            time: RFC3339.format(unixNanos: nowNanos)
        )
        return Outgoing(key: key, ref: c.ref, insurer: insurer, event: event, body: n.body())
    }
}

/// Idempotency keys: `ntf-` and 32 hex digits (128 random bits), unguessable and unique
/// without coordination between server instances.
public enum NotificationKey {
    public static func draw() -> String {
        var rng = SystemRandomNumberGenerator()
        let hex = (0..<2).map { _ in
            let v = rng.next() as UInt64
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
        return "ntf-" + hex.joined()
    }
}
