import Foundation
import Synchronization

/// Which configured readers have a device open right now, for heartbeats (and the probe):
/// written by the supervisor's thread, read from anywhere.
public final class ReaderStates: Sendable {
    private let open = Mutex<[String: Int]>([:])

    public init() {}

    func set(_ keys: some Sequence<String>) {
        var counts: [String: Int] = [:]
        for k in keys { counts[String(k.prefix { $0 != "@" }), default: 0] += 1 }
        open.withLock { $0 = counts }
    }

    /// "id: open" (with the number of devices when more than one) or "id: waiting".
    public func describe(_ readerIDs: [String], alwaysOpen: Set<String>) -> [String] {
        let snapshot = open.withLock { $0 }
        return readerIDs.map { id in
            if alwaysOpen.contains(id) { return "\(id): open" }
            switch snapshot[id, default: 0] {
            case 0: return "\(id): waiting for its device"
            case 1: return "\(id): open"
            case let n: return "\(id): open (\(n) devices)"
            }
        }
    }
}
