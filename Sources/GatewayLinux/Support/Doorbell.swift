import Synchronization

/// Wakes the forwarder when readers have committed new envelopes. Rings from any thread;
/// rings that arrive while nobody waits collapse into one, so a burst costs one wake-up.
///
/// It also counts its rings (`generation`). Everything that commits an envelope rings after
/// the commit has landed, so a reader of the spool that noted the count before it read, and
/// finds it unchanged later, knows no envelope was committed by this process since its read
/// (`ForwarderLoop` skips reads on that proof).
public final class Doorbell: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let rings = Atomic<UInt64>(0)

    public init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public func ring() {
        rings.add(1, ordering: .sequentiallyConsistent)
        continuation.yield()
    }

    /// How many times the bell has rung.
    public var generation: UInt64 { rings.load(ordering: .sequentiallyConsistent) }

    /// For the single consumer.
    public func makeIterator() -> AsyncStream<Void>.AsyncIterator {
        stream.makeAsyncIterator()
    }

    public func close() {
        continuation.finish()
    }
}
