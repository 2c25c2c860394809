/// A bound on how long something may take, for the calls whose own timeouts do not bound all of
/// it: connecting to a database whose pool retries a refused connection on its own, an HTTP
/// exchange whose answer body may trickle.
enum Deadline {
    /// `body`'s result or error, or `expired()` once `limit` has passed first (`body` is then
    /// cancelled).
    static func run<T: Sendable>(
        _ limit: Duration,
        expired: @escaping @Sendable () -> any Error,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw expired()
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}
