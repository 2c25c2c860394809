import GatewayCore

/// The case book's rules, apart from any store: a subject's scan opens a case for its object
/// with every covering insurer notified, or joins the object's open case (noted once a minute
/// per terminal at most); a duplicate gets what the first delivery got; every event but a
/// heartbeat gets its type's guidance, linked once (configured, or the most similar known
/// type's) and kept. Given an event and what the store knows (`CaseFacts`), `plan` returns what
/// to write and answer (`CasePlan`), so a store only translates plans into its statements.
public struct CaseRules: Sendable {
    public let policy: CasePolicy

    /// How long a "scanned again at <device>" note stands for the same terminal's later scans.
    public static let againNoteWindowNanos: Int64 = 60_000_000_000

    public init(policy: CasePolicy) {
        self.policy = policy
    }

    /// The plan for one stored event. `fresh`: the event was stored just now, so no case can
    /// list it yet (one lookup less per new scan). `known` holds the guidance already decided in
    /// this transaction, by type: a batch is mostly of a few types, and a type's link cannot
    /// change within the transaction.
    public func plan(
        for h: EventHeader,
        fresh: Bool,
        nowNanos: Int64,
        known: inout [EventType: Guidance?],
        facts: some CaseFacts
    ) throws -> CasePlan {
        // A heartbeat is the terminal's, not a report: no case, no guidance.
        guard h.kind == nil else { return CasePlan() }
        var plan = CasePlan()
        let type = EventType(header: h)
        if let decided = known[type] {
            plan.guidance = decided
        } else {
            (plan.guidance, plan.link) = guidance(
                for: type,
                linked: try facts.guidanceLink(type: type.description),
                nowNanos: nowNanos
            )
            known[type] = .some(plan.guidance)
        }
        guard let tag = h.tag, tag.kind == .subject, let subject = tag.subject, !subject.isEmpty else { return plan }
        if !fresh, let ref = try facts.caseFiled(eventID: h.id) {
            plan.action = .answerFiled(ref: ref)
            return plan
        }
        let schema = tag.schema ?? ""
        if let open = try facts.openCase(schema: schema, subject: subject) {
            // Another report of the same object: noted once a minute per terminal at most.
            let again = CaseNoteForm.scannedAgain(device: h.device)
            let noted = try facts.hasNote(ref: open.ref, text: again, afterNanos: nowNanos - Self.againNoteWindowNanos)
            plan.action = .join(open, note: noted ? nil : CasePlan.Note(state: open.state, text: again))
            return plan
        }
        let insurers = policy.insurers(covering: subject, schema: tag.schema)
        // One note when nobody is to be told (a row less per case: a drain opens thousands).
        let opened = CasePlan.Note(
            state: "opened",
            text: CaseNoteForm.opened(device: h.device, insured: !insurers.isEmpty)
        )
        plan.action = .open(
            CasePlan.NewCase(
                subject: subject,
                schema: schema,
                device: h.device,
                state: insurers.isEmpty ? "opened" : "insurers_notified",
                guidanceID: plan.guidance?.id,
                insurers: insurers,
                notes: [opened]
                    + insurers.map {
                        CasePlan.Note(
                            state: "notified",
                            text: CaseNoteForm.notified(insurerName: $0.name),
                            insurer: $0.id
                        )
                    }
            )
        )
        return plan
    }

    /// A type's guidance given its recorded link: the linked guidance while it stands, else a
    /// new link — its own configured entry, or the most similar known type's (recorded with the
    /// type it came from and what they share). A link to similar guidance gives way once the
    /// type gets an entry of its own; a link to guidance the catalog no longer has is replaced.
    public func guidance(for type: EventType, linked: GuidanceLink?, nowNanos: Int64) -> (Guidance?, GuidanceLink?) {
        let catalog = policy.catalog
        if let linked, var g = catalog.guidance(id: linked.guidanceID),
            linked.how == "configured" || !catalog.configures(type)
        {
            if linked.how == "similar" {
                g.match = "similar"
                g.similarTo = linked.similarTo
            }
            return (g, nil)
        }
        guard let choice = catalog.choose(for: type) else { return (nil, nil) }
        switch choice {
        case .configured(let g):
            return (
                g,
                GuidanceLink(
                    type: type.description,
                    guidanceID: g.id,
                    how: "configured",
                    similarTo: nil,
                    shared: nil,
                    linkedAtNanos: nowNanos
                )
            )
        case .similar(let g, let to, let shared):
            return (
                g,
                GuidanceLink(
                    type: type.description,
                    guidanceID: g.id,
                    how: "similar",
                    similarTo: to.description,
                    shared: shared.joined(separator: ","),
                    linkedAtNanos: nowNanos
                )
            )
        }
    }
}
