import Synchronization

/// How many connections the server holds at once, shared by every event loop. A connection
/// over the bound is closed as soon as it is accepted (`ConnectionGuardHandler`), so a client
/// opening connections by the thousand exhausts neither file descriptors nor memory.
public final class ConnectionBudget: Sendable {
    public let limit: Int
    private let open = Mutex(0)

    public init(limit: Int) {
        precondition(limit > 0)
        self.limit = limit
    }

    /// Takes a slot; false when all are taken.
    public func take() -> Bool {
        open.withLock { n in
            guard n < limit else { return false }
            n += 1
            return true
        }
    }

    public func give() {
        open.withLock { $0 -= 1 }
    }

    public var inUse: Int { open.withLock { $0 } }
}
