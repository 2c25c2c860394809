import GatewayCore

/// A batch's cases planned in memory against facts read up front, for a store where every
/// statement is a round trip (PostgreSQL): the store asks `CaseBatch.Needs` what to read, reads
/// it in a few set-based queries, and `plan` runs `CaseRules` event by event over those facts,
/// each event seeing what the ones before it decided (a case the batch opened, a note it wrote,
/// an event it filed), exactly as if every event had been written before the next was planned.
/// What comes out is the rows to write, grouped by table, and every event's answer.
struct CaseBatch {
    /// An object's identity in the case book: a case is open per (schema, subject).
    struct Object: Hashable, Comparable {
        var schema: String
        var subject: String

        static func < (a: Object, b: Object) -> Bool { (a.schema, a.subject) < (b.schema, b.subject) }
    }

    /// What planning a batch may ask, derived from its events before anything is read.
    struct Needs: Equatable {
        /// Event types (`EventType.description`) whose guidance links are wanted.
        var types: [String] = []
        /// Objects whose open cases are wanted, sorted: the order a store reads (and row-locks)
        /// their cases in, the same in every instance.
        var objects: [Object] = []
        /// Events stored before (duplicates) that may be filed under a case.
        var filedEventIDs: [String] = []

        init(_ events: [OpenedEvent], fresh: [Bool]) {
            var types = Set<String>()
            var objects = Set<Object>()
            for (e, isFresh) in zip(events, fresh) {
                let h = e.header
                guard h.kind == nil else { continue }
                types.insert(EventType(header: h).description)
                guard let tag = h.tag, tag.kind == .subject, let subject = tag.subject, !subject.isEmpty else {
                    continue
                }
                objects.insert(Object(schema: tag.schema ?? "", subject: subject))
                if !isFresh { filedEventIDs.append(h.id) }
            }
            self.types = types.sorted()
            self.objects = objects.sorted()
        }
    }

    /// What the store read for `Needs`, as of the batch's transaction.
    struct Facts {
        var links: [String: GuidanceLink] = [:]
        /// Event id → the case it is filed under.
        var filed: [String: String] = [:]
        var open: [Object: OpenCase] = [:]
        /// Case ref → its state, for every case in `filed` and `open`.
        var states: [String: String] = [:]
        /// Case ref → its insurers in their order, for every case in `filed` and `open`.
        var insurers: [String: [InsurerStatus]] = [:]
        /// Case ref → notes written after `nowNanos - CaseRules.againNoteWindowNanos`.
        var recentNotes: [String: [(text: String, atNanos: Int64)]] = [:]
    }

    /// The rows a batch writes, in the order they are to be written.
    struct Writes {
        /// At most one per type: the last decided.
        var links: [GuidanceLink] = []
        var cases: [(ref: String, new: CasePlan.NewCase)] = []
        var caseEvents: [(eventID: String, ref: String)] = []
        var notes: [(ref: String, note: CasePlan.Note)] = []
        var insurers: [(ref: String, insurer: CasePolicy.Insurer)] = []
        /// Cases that existed before the batch and that its scans join: a scan on a case's
        /// timeline is a change of it (`updated_at`), as a note or a message is.
        var joined: Set<String> = []
    }

    /// Plans every event. `fresh[i]`: the event was inserted by this batch (the first of two
    /// copies of one id within a batch is the fresh one). `draw` gives case references (tests
    /// pass a fixed sequence).
    static func plan(
        _ events: [OpenedEvent],
        fresh: [Bool],
        facts read: Facts,
        rules: CaseRules,
        nowNanos: Int64,
        draw: () -> String = CaseReference.draw
    ) throws -> (answers: [ReceivedEvent], writes: Writes) {
        var facts = Overlay(facts: read)
        var writes = Writes()
        var known: [EventType: Guidance?] = [:]
        var answers: [ReceivedEvent] = []
        answers.reserveCapacity(events.count)
        for (e, isFresh) in zip(events, fresh) {
            let h = e.header
            let plan = try rules.plan(for: h, fresh: isFresh, nowNanos: nowNanos, known: &known, facts: facts)
            if let link = plan.link {
                writes.links.removeAll { $0.type == link.type }
                writes.links.append(link)
                facts.facts.links[link.type] = link
            }
            let caseInfo: CaseInfo?
            switch plan.action {
            case nil:
                caseInfo = nil
            case .answerFiled(let ref):
                caseInfo = facts.facts.states[ref].map {
                    CaseInfo(ref: ref, state: $0, opened: false, insurers: facts.facts.insurers[ref] ?? [])
                }
            case .join(let open, let note):
                facts.file(h.id, under: open.ref, &writes)
                // A case read before the batch; one it opened has no row to update yet.
                if read.states[open.ref] != nil { writes.joined.insert(open.ref) }
                if let note { facts.write(note, ref: open.ref, nowNanos: nowNanos, &writes) }
                caseInfo = CaseInfo(
                    ref: open.ref,
                    state: open.state,
                    opened: false,
                    insurers: facts.facts.insurers[open.ref] ?? []
                )
            case .open(let new):
                var ref = draw()
                // Every case the batch read or opened has a state.
                while facts.facts.states[ref] != nil { ref = draw() }
                let answer = new.answer(ref: ref, nowNanos: nowNanos)
                writes.cases.append((ref, new))
                let object = Object(schema: new.schema, subject: new.subject)
                facts.facts.open[object] = OpenCase(ref: ref, state: new.state)
                facts.facts.states[ref] = new.state
                facts.facts.insurers[ref] = answer.insurers
                facts.file(h.id, under: ref, &writes)
                for note in new.notes { facts.write(note, ref: ref, nowNanos: nowNanos, &writes) }
                for i in new.insurers { writes.insurers.append((ref, i)) }
                caseInfo = answer
            }
            answers.append(
                ReceivedEvent(fresh: isFresh, answer: CaseAnswer(caseInfo: caseInfo, guidance: plan.guidance))
            )
        }
        return (answers, writes)
    }

    /// `Facts` as `CaseRules` asks for them, with the batch's own writes applied as they are made.
    struct Overlay: CaseFacts {
        var facts: Facts

        func guidanceLink(type: String) throws -> GuidanceLink? { facts.links[type] }
        func caseFiled(eventID: String) throws -> String? { facts.filed[eventID] }
        func openCase(schema: String, subject: String) throws -> OpenCase? {
            facts.open[Object(schema: schema, subject: subject)]
        }
        func hasNote(ref: String, text: String, afterNanos: Int64) throws -> Bool {
            facts.recentNotes[ref]?.contains { $0.text == text && $0.atNanos > afterNanos } ?? false
        }

        mutating func file(_ eventID: String, under ref: String, _ writes: inout Writes) {
            facts.filed[eventID] = ref
            writes.caseEvents.append((eventID, ref))
        }

        mutating func write(_ note: CasePlan.Note, ref: String, nowNanos: Int64, _ writes: inout Writes) {
            facts.recentNotes[ref, default: []].append((note.text, nowNanos))
            writes.notes.append((ref, note))
        }
    }
}
