import Dispatch
import NIOConcurrencyHelpers
import NIOCore

/// `map` over all cores: the elements are split into one contiguous chunk per core and
/// transformed with `DispatchQueue.concurrentPerform`; the results come back in input order.
/// The first error thrown (by input order) is rethrown after all chunks finished. A single
/// element, or a machine with one core, runs on the caller's thread.
///
/// Used to seal a group of scans (redaction and HPKE, the costliest steps of a scan) inside one
/// spool transaction, so a burst uses every core of the terminal.
enum ParallelMap {
    static let cores = System.coreCount

    static func map<T: Sendable, R: Sendable>(
        _ input: [T],
        _ transform: @escaping @Sendable (T) throws -> R
    ) throws -> [R] {
        let chunks = min(cores, input.count)
        guard chunks > 1 else { return try input.map(transform) }
        let results = NIOLockedValueBox([[R]?](repeating: nil, count: chunks))
        let errors = NIOLockedValueBox([(Int, any Error)]())
        let per = (input.count + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let range = (c * per)..<min(input.count, (c + 1) * per)
            do {
                let out = try input[range].map(transform)
                results.withLockedValue { $0[c] = out }
            } catch {
                errors.withLockedValue { $0.append((c, error)) }
            }
        }
        if let first = errors.withLockedValue({ $0.min { $0.0 < $1.0 } }) { throw first.1 }
        return results.withLockedValue { $0.flatMap { $0! } }
    }

    /// As `map(_:_:)` for a transform that cannot fail.
    static func map<T: Sendable, R: Sendable>(_ input: [T], _ transform: @escaping @Sendable (T) -> R) -> [R] {
        // Nothing is thrown, so nothing is rethrown.
        try! map(input, { (t: T) throws -> R in transform(t) })
    }
}
