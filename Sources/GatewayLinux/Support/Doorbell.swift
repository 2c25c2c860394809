/// Wakes the forwarder when readers have committed new envelopes. Rings from any thread;
/// rings that arrive while nobody waits collapse into one, so a burst costs one wake-up.
public final class Doorbell: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    public init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public func ring() {
        continuation.yield()
    }

    /// For the single consumer.
    public func makeIterator() -> AsyncStream<Void>.AsyncIterator {
        stream.makeAsyncIterator()
    }

    public func close() {
        continuation.finish()
    }
}
