/// One tap, one event: decides which tags in the field are new. Presence decides, not a time
/// window: a tag left on the reader is reported once however long it stays; lifted and tapped
/// again it is new. Two tags in the field are each reported once.
///
/// A PN53x poll can miss a tag that is present (a collision, a weak coupling), so a tag counts as
/// gone only after `absencesToLeave` observations without it; PC/SC reports presence itself
/// (`SCardGetStatusChange`), where one absence is enough.
public struct NFCPresence: Sendable {
    public let absencesToLeave: Int
    /// UID → consecutive observations it was missing from (0 while it is seen).
    private var present: [[UInt8]: Int] = [:]

    public init(absencesToLeave: Int = 1) {
        self.absencesToLeave = max(1, absencesToLeave)
    }

    /// The UIDs currently counted as in the field.
    public var inField: Set<[UInt8]> { Set(present.keys) }

    /// - Returns: the targets of this observation that were not in the field, in order, each once.
    public mutating func observe(_ targets: [NFCTarget]) -> [NFCTarget] {
        var arrived: [NFCTarget] = []
        var seen = Set<[UInt8]>()
        for t in targets where seen.insert(t.uid).inserted {
            if present[t.uid] == nil { arrived.append(t) }
            present[t.uid] = 0
        }
        for uid in present.keys where !seen.contains(uid) {
            let missing = present[uid]! + 1
            present[uid] = missing >= absencesToLeave ? nil : missing
        }
        return arrived
    }

    /// Everything leaves (the reader went away): the next sighting of any tag is a new tap.
    public mutating func reset() {
        present.removeAll()
    }
}
