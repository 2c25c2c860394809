import Foundation
import GatewayCore
import GatewaySystem
import Synchronization

/// Which configured readers have a device open right now, and their health (floods, noise),
/// for heartbeats and the kiosk page: written by the readers' threads, read from anywhere.
public final class ReaderStates: Sendable {
    private let open = Mutex<[String: Int]>([:])
    public let health: ReaderHealthBoard

    public init(health: ReaderHealthBoard = ReaderHealthBoard()) {
        self.health = health
    }

    func set(_ keys: some Sequence<String>) {
        var counts: [String: Int] = [:]
        for k in keys { counts[String(k.prefix { $0 != "@" }), default: 0] += 1 }
        open.withLock { $0 = counts }
    }

    /// "id: open" (with the number of devices when more than one) or "id: waiting", and what
    /// is wrong with it when it floods or was noisy lately ("id: open — flooding: …; noisy: …").
    public func describe(
        _ readerIDs: [String],
        alwaysOpen: Set<String>,
        nowWallNanos: Int64 = Clocks.wallNanos()
    ) -> [String] {
        let snapshot = open.withLock { $0 }
        return readerIDs.map { id in
            let state: String
            if alwaysOpen.contains(id) {
                state = "\(id): open"
            } else {
                switch snapshot[id, default: 0] {
                case 0: state = "\(id): waiting for its device"
                case 1: state = "\(id): open"
                case let n: state = "\(id): open (\(n) devices)"
                }
            }
            guard let v = health.health(id)?.verdict(nowWallNanos: nowWallNanos), v.warn else { return state }
            return state + " — " + v.words
        }
    }
}
