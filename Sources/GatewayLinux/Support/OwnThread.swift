import Foundation

/// Blocking work (a poll(2) loop, getaddrinfo) awaited from async code: the work gets a thread
/// of its own, so it never holds one of the cooperative pool's few threads, nor an event loop.
enum OwnThread {
    static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (done: CheckedContinuation<T, Never>) in
            let t = Thread { done.resume(returning: body()) }
            t.name = name
            t.start()
        }
    }
}
