import GatewayCore

/// The guidance a case server gives per event type, and how an unknown type finds its guidance:
/// the entry of the most similar known type of the same class (`EventType.similarity`; between
/// equally similar ones, the first listed — a site's own entries come before the built-in ones). Pure: the linking is recorded by `CaseBook`, which asks
/// `choose` only for a type that has no link yet (or whose link is stale).
public struct GuidanceCatalog: Sendable {
    public struct Entry: Sendable, Equatable {
        public var type: EventType
        public var guidance: Guidance
        public init(type: EventType, guidance: Guidance) {
            self.type = type
            self.guidance = guidance
        }
    }

    public let entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries
    }

    public enum Choice: Sendable, Equatable {
        /// The type has an entry of its own.
        case configured(Guidance)
        /// Taken from the entry of a similar type, sharing these attributes.
        case similar(Guidance, to: EventType, shared: [String])
    }

    /// The guidance for `type`: its own entry, else the most similar one's among the entries
    /// of the same class (an operator's badge tap is never told what a damaged object's
    /// reporter is told); nil when no entry has the class.
    public func choose(for type: EventType) -> Choice? {
        if let own = entries.first(where: { $0.type == type }) { return .configured(own.guidance) }
        var best: Entry?
        for e in entries
        where e.type.kind == type.kind
            && (best.map({ e.type.similarity(to: type) > $0.type.similarity(to: type) }) ?? true)
        {
            best = e
        }
        guard let best else { return nil }
        var g = best.guidance
        g.match = "similar"
        g.similarTo = best.type.description
        return .similar(g, to: best.type, shared: best.type.shared(with: type))
    }

    public func guidance(id: String) -> Guidance? { entries.first { $0.guidance.id == id }?.guidance }

    /// Whether `type` has an entry of its own.
    public func configures(_ type: EventType) -> Bool { entries.contains { $0.type == type } }
}
