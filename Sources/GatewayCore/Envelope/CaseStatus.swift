/// What a case server answers about cases (docs/wire-format.md, "Cases and guidance"): in the
/// result of each accepted envelope (`case`, `guidance`) and at `GET /v1/cases/{ref}`, which a
/// terminal polls while it shows the case. Values only; the states are the server's words and
/// the terminal shows them as given. Nothing here is personal data a terminal sends: a case
/// holds the (redacted) subject id and what insurers and the server's staff wrote.
///
/// Guidance for the person on site: what to do now (stop further loss, who will come).
public struct Guidance: Codable, Sendable, Equatable {
    public var id: String
    public var title: String
    public var text: String
    public var steps: [String]
    /// "configured" when the event's type has its own guidance; "similar" when the server took
    /// the guidance of the most similar known type and linked it to this one (`similarTo`).
    public var match: String
    /// The type whose guidance was taken (`class=subject schema=acme scanner=operator`).
    public var similarTo: String?

    enum CodingKeys: String, CodingKey {
        case id, title, text, steps, match
        case similarTo = "similar_to"
    }

    public init(
        id: String,
        title: String,
        text: String,
        steps: [String] = [],
        match: String = "configured",
        similarTo: String? = nil
    ) {
        self.id = id
        self.title = title
        self.text = text
        self.steps = steps
        self.match = match
        self.similarTo = similarTo
    }
}

/// One insurer covering the case's object, and how far it is.
public struct InsurerStatus: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var state: String
    /// RFC 3339 UTC.
    public var updatedAt: String
    public var note: String?

    enum CodingKeys: String, CodingKey {
        case id, name, state, note
        case updatedAt = "updated_at"
    }

    public init(id: String, name: String, state: String, updatedAt: String, note: String? = nil) {
        self.id = id
        self.name = name
        self.state = state
        self.updatedAt = updatedAt
        self.note = note
    }
}

/// One step of a case's history: its state then, and the note written with it.
public struct CaseNote: Codable, Sendable, Equatable {
    public var at: String
    public var state: String
    public var text: String
    /// Set when the step was one insurer's.
    public var insurer: String?
    /// For a note the server wrote itself, its form ("opened", "opened_no_insurer",
    /// "scanned_again", "insurer_notified") and the values in it, so a page can say it in its
    /// reader's language; `text` is the same in English. Nil for what a person wrote.
    public var form: String?
    public var args: [String: String]?

    public init(
        at: String,
        state: String,
        text: String,
        insurer: String? = nil,
        form: String? = nil,
        args: [String: String]? = nil
    ) {
        self.at = at
        self.state = state
        self.text = text
        self.insurer = insurer
        self.form = form
        self.args = args
    }
}

/// The case an accepted envelope opened or joined (`results[].case`).
public struct CaseInfo: Codable, Sendable, Equatable {
    public var ref: String
    public var state: String
    /// True when this envelope opened the case, false when it joined an open one.
    public var opened: Bool
    public var insurers: [InsurerStatus]

    public init(ref: String, state: String, opened: Bool, insurers: [InsurerStatus] = []) {
        self.ref = ref
        self.state = state
        self.opened = opened
        self.insurers = insurers
    }
}

/// `GET /v1/cases/{ref}`.
public struct CaseStatus: Codable, Sendable, Equatable {
    public var ref: String
    public var state: String
    /// No more progress to expect (resolved or closed): a terminal stops following it.
    public var final: Bool
    public var subject: String?
    public var schema: String?
    public var openedAt: String
    public var updatedAt: String
    public var guidance: Guidance?
    public var insurers: [InsurerStatus]
    /// Oldest first.
    public var notes: [CaseNote]
    /// The case handlers' questions and instructions to the person on site, oldest first; nil
    /// from a server that has none to send (before case messages).
    public var messages: [CaseMessage]?

    enum CodingKeys: String, CodingKey {
        case ref, state, final, subject, schema, guidance, insurers, notes, messages
        case openedAt = "opened_at"
        case updatedAt = "updated_at"
    }

    public init(
        ref: String,
        state: String,
        final: Bool,
        subject: String?,
        schema: String?,
        openedAt: String,
        updatedAt: String,
        guidance: Guidance?,
        insurers: [InsurerStatus],
        notes: [CaseNote],
        messages: [CaseMessage]? = nil
    ) {
        self.ref = ref
        self.state = state
        self.final = final
        self.subject = subject
        self.schema = schema
        self.openedAt = openedAt
        self.updatedAt = updatedAt
        self.guidance = guidance
        self.insurers = insurers
        self.notes = notes
        self.messages = messages
    }
}
