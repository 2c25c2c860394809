/// The watermark of one console connection's change feed, apart from any store: where to ask
/// the store for changes from, and which of the rows it answers are news.
///
/// Changes are stamped by the instance that made them, with its own clock, before its
/// transaction commits: a change can become visible after one stamped later was already sent
/// (a slower transaction, another instance's clock). So the feed asks again from `overlapNanos`
/// before the latest stamp it has seen, and drops the rows it already sent in that version.
/// A read that fills its limit (a drain opens hundreds of cases with one stamp) is continued
/// from its last row, by stamp and reference, before the feed goes back to overlapping.
public struct CaseChangeFeed: Sendable, Equatable {
    /// Where a read starts: rows stamped after `sinceNanos`, or at it with a reference after
    /// `afterRef` ("" for every reference).
    public struct Read: Sendable, Equatable {
        public var sinceNanos: Int64
        public var afterRef: String
    }

    /// The latest change stamp seen (sent or not).
    public private(set) var watermarkNanos: Int64
    public let overlapNanos: Int64
    /// What was sent within the overlap: version (stamp) by case reference.
    private var sent: [String: Int64] = [:]
    /// Set while catching up after a full read.
    private var cursor: Read?

    public init(watermarkNanos: Int64, overlapNanos: Int64 = 5_000_000_000) {
        self.watermarkNanos = watermarkNanos
        self.overlapNanos = overlapNanos
    }

    /// Where the next read starts.
    public var next: Read { cursor ?? Read(sinceNanos: max(0, watermarkNanos - overlapNanos), afterRef: "") }

    /// Takes a read's rows (ordered by stamp and reference, at most `limit`) and returns those
    /// not sent before in this version, in the order read.
    public mutating func accept(_ rows: [CaseChange], limit: Int) -> [CaseChange] {
        var news: [CaseChange] = []
        for r in rows where sent[r.ref] != r.updatedAtNanos {
            sent[r.ref] = r.updatedAtNanos
            news.append(r)
        }
        watermarkNanos = max(watermarkNanos, rows.map(\.updatedAtNanos).max() ?? watermarkNanos)
        cursor = rows.count >= limit ? rows.last.map { Read(sinceNanos: $0.updatedAtNanos, afterRef: $0.ref) } : nil
        let floor = watermarkNanos - overlapNanos
        sent = sent.filter { $0.value >= floor }
        return news
    }
}
