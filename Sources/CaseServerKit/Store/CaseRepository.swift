import GatewayCore

/// Where the server keeps its events and cases: what the receiver, the HTTP routes and the CLI
/// commands need of storage, and no more. The case rules live in `CaseRules`; a conformer only
/// translates their plans and answers these reads (`SQLiteCaseStore` is one; tests use it on a
/// temporary file).
public protocol CaseRepository: Sendable {
    /// Stores the events that are new (by envelope id, with their JSON as received), files them
    /// under cases as `rules` plan, and counts the batch's duplicates and `rejected`, all in one
    /// transaction that has reached the disk before this returns: a terminal deletes what was
    /// accepted. - Returns: for each event in order, whether it was new and its answer (the same
    /// case and guidance for a duplicate).
    func receive(
        _ events: [OpenedEvent],
        receivedAtNanos: Int64,
        rejected: Int,
        rules: CaseRules
    ) async throws
        -> [ReceivedEvent]

    /// `GET /v1/cases/{ref}`; nil when there is no such case.
    func caseStatus(ref: String, catalog: GuidanceCatalog) async throws -> CaseStatus?

    /// Records a step of a case's progress (its state, or one insurer's, and a note), as
    /// `CaseProgress.check` allows it. - Throws: `CaseProgressError` when it does not.
    func progress(ref: String, state: String, note: String, insurer: String?, nowNanos: Int64) async throws

    /// Every case, oldest first.
    func cases() async throws -> [CaseSummary]

    /// Every guidance link, oldest first.
    func guidanceLinks() async throws -> [GuidanceLink]

    /// Every stored event, by device and sequence number.
    func events() async throws -> [StoredEvent]

    /// Each device's latest heartbeat (by arrival), by device: what `case-server terminals`
    /// needs, read in the database rather than by fetching every event of a fleet.
    func latestHeartbeats() async throws -> [StoredEvent]

    func counters() async throws -> EventCounters

    /// The cases changed after `sinceNanos` (`updated_at_ns`, indexed), or at it with a
    /// reference after `afterRef` ("" for any), by stamp and reference, at most `limit`: what
    /// the console's change feed (`CaseChangeFeed`) asks every instant, so changes made through
    /// another instance over the same database show too. 0 and "" read from the first case.
    func caseChanges(sinceNanos: Int64, afterRef: String, limit: Int) async throws -> [CaseChange]

    /// One case's row as `caseChanges` gives it; nil when there is no such case.
    func caseChange(ref: String) async throws -> CaseChange?

    /// The events filed under a case, in the order they arrived.
    func caseEvents(ref: String) async throws -> [StoredEvent]

    /// The events that arrived at or after `sinceNanos`, by arrival (the terminals' charts).
    func events(receivedSinceNanos: Int64) async throws -> [StoredEvent]

    /// Makes a type's "similar" guidance link a configured one (an admin confirmed the guidance
    /// it was given fits it), so it stands even once the catalogue holds a nearer entry.
    /// - Returns: false when the type has no "similar" link.
    func promoteGuidanceLink(type: String, nowNanos: Int64) async throws -> Bool

    /// Returns when the store can take a batch: its database answers and has every migration
    /// this version knows (`GET /readyz`). - Throws: `StoreError` saying what is missing.
    func ready() async throws
}

/// An event whose envelope opened: its header and its JSON as received, and for a reply to a
/// case message what it answers (the store files it under the message).
public struct OpenedEvent: Sendable {
    public var header: EventHeader
    public var json: String
    public var reply: IncomingReply?

    public init(header: EventHeader, json: String, reply: IncomingReply? = nil) {
        self.header = header
        self.json = json
        self.reply = reply
    }
}

/// What storing an event came to.
public struct ReceivedEvent: Sendable, Equatable {
    /// false: it was stored before (a duplicate).
    public var fresh: Bool
    public var answer: CaseAnswer
    /// For a reply stored now: whether it was filed under its case (it names a message of
    /// that case, and its terminal has an event of its own under it); nil otherwise.
    public var replyFiled: Bool?

    public init(fresh: Bool, answer: CaseAnswer, replyFiled: Bool? = nil) {
        self.fresh = fresh
        self.answer = answer
        self.replyFiled = replyFiled
    }
}
