import GatewayCore
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import XCTest

@testable import GatewayLinux

/// `ForwarderService` over an in-memory queue and a scripted server: what goes in comes out,
/// once, whatever the server answers and whether the settles land — counted, not timed.
final class ForwarderServiceTests: XCTestCase {
    func testDeliversEverythingInOrderAndEmptiesTheQueue() async throws {
        let queue = MemoryQueue(count: 1200)
        let server = ScriptedDeliverer { _, _ in .accept }
        let board = try await drain(queue, server)
        XCTAssertEqual(queue.depth, 0)
        XCTAssertEqual(server.acceptedIDs, (1...1200).map { "e\($0)" }, "each envelope once, in sequence order")
        XCTAssertTrue(server.batches.allSatisfy { $0.count <= 500 })
        XCTAssertEqual(board.status?.deliveredTotal, 1200)
        XCTAssertEqual(board.status?.circuit, "closed")
        XCTAssertEqual(board.view, .init(depth: 0, deadLetters: 0, circuit: "closed"))
    }

    /// The envelopes stay in the queue while the server cannot be reached, the circuit opens
    /// (and the board says so while it is), and all of them arrive once it answers again.
    func testAFailureKeepsEnvelopesUntilTheServerAnswers() async throws {
        let queue = MemoryQueue(count: 40)
        let board = ForwarderStatusBoard()
        let circuitSeen = Mutex<[String]>([])
        let server = ScriptedDeliverer { attempt, _ in
            circuitSeen.withLock { $0.append(board.circuit) }
            return attempt <= 3 ? .fail : .accept
        }
        _ = try await drain(queue, server, board: board)
        XCTAssertEqual(queue.depth, 0)
        XCTAssertEqual(Set(server.acceptedIDs), Set((1...40).map { "e\($0)" }))
        XCTAssertEqual(server.acceptedIDs.count, 40, "nothing accepted twice")
        XCTAssertEqual(board.status?.failuresTotal, 3)
        XCTAssertEqual(board.status?.circuit, "closed")
        XCTAssertEqual(circuitSeen.withLock { Array($0.prefix(4)) }, ["closed", "open", "open", "open"])
    }

    func testRejectedEnvelopesBecomeDeadLetters() async throws {
        let queue = MemoryQueue(count: 10)
        let server = ScriptedDeliverer { _, id in id == "e4" ? .reject("malformed: no seq") : .accept }
        let board = try await drain(queue, server)
        XCTAssertEqual(queue.depth, 0)
        XCTAssertEqual(queue.deadLetters.map(\.id), ["e4"])
        XCTAssertEqual(queue.deadLetters.first?.reason, "malformed: no seq")
        XCTAssertEqual(server.acceptedIDs.count, 9)
        XCTAssertEqual(board.view, .init(depth: 0, deadLetters: 1, circuit: "closed"))
    }

    /// A settle that cannot be written leaves its envelopes in the queue: they go again, the
    /// server answers `duplicate`, and nothing is lost or dead-lettered.
    func testASettleThatFailsSendsTheBatchAgain() async throws {
        let queue = MemoryQueue(count: 30, failingSettles: 1)
        let server = ScriptedDeliverer { _, _ in .accept }
        _ = try await drain(queue, server)
        XCTAssertEqual(queue.depth, 0)
        XCTAssertEqual(queue.deadLetters.count, 0)
        XCTAssertEqual(Set(server.acceptedIDs), Set((1...30).map { "e\($0)" }))
        XCTAssertGreaterThan(server.duplicates, 0, "the unsettled batch was sent again")
    }

    /// On shutdown nothing new is read, but what was sent is answered and settled first.
    func testShutdownWaitsForTheBatchInFlight() async throws {
        let queue = MemoryQueue(count: 5)
        let gate = Gate()
        let server = ScriptedDeliverer(before: { await gate.wait() }, { _, _ in .accept })
        let service = forwarder(queue, server, board: ForwarderStatusBoard())
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                try await waitUntil { server.calls == 1 }
                trigger.triggerGracefulShutdown()
                gate.open()
                try await group.next()
            }
        }
        XCTAssertEqual(server.calls, 1, "nothing read after the stop")
        XCTAssertEqual(queue.depth, 0, "the batch answered during the stop left the queue")
    }

    // MARK: helpers

    func forwarder(
        _ queue: MemoryQueue,
        _ server: ScriptedDeliverer,
        board: ForwarderStatusBoard
    )
        -> ForwarderService<MemoryQueue, ScriptedDeliverer>
    {
        ForwarderService(
            spool: queue,
            deliverer: server,
            doorbell: Doorbell(),
            batchMax: 500,
            batchMaxBytes: 1 << 20,
            linger: .zero,
            backoff: Backoff(base: .milliseconds(1), cap: .milliseconds(5)),
            board: board,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
    }

    /// Runs the forwarder until the queue is empty, then stops it gracefully.
    func drain(
        _ queue: MemoryQueue,
        _ server: ScriptedDeliverer,
        board: ForwarderStatusBoard = .init()
    ) async throws
        -> ForwarderStatusBoard
    {
        let service = forwarder(queue, server, board: board)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                try await waitUntil { queue.depth == 0 }
                trigger.triggerGracefulShutdown()
                try await group.next()
            }
        }
        return board
    }

    func waitUntil(_ condition: () -> Bool, file: StaticString = #filePath, line: UInt = #line) async throws {
        for _ in 0..<2000 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        XCTFail("condition not met within 10 s", file: file, line: line)
    }
}

/// An in-memory `EnvelopeQueue`: envelopes e1…eN in sequence order.
final class MemoryQueue: EnvelopeQueue {
    private struct State {
        var envelopes: [SpooledEnvelope]
        var dead: [(id: String, reason: String)] = []
        var failingSettles: Int
    }

    private let state: Mutex<State>

    init(count: Int, failingSettles: Int = 0) {
        let envelopes = (1...count).map {
            SpooledEnvelope(seq: UInt64($0), id: "e\($0)", body: Array("{\"n\":\($0)}".utf8))
        }
        state = Mutex(State(envelopes: envelopes, failingSettles: failingSettles))
    }

    var depth: Int { state.withLock { $0.envelopes.count } }
    var deadLetters: [(id: String, reason: String)] { state.withLock { $0.dead } }

    func peek(limit: Int, afterSeq: UInt64) async throws(SpoolError) -> [SpooledEnvelope] {
        state.withLock { Array($0.envelopes.filter { $0.seq > afterSeq }.prefix(limit)) }
    }

    func settle(
        remove: [String],
        deadLetter: [(id: String, reason: String)],
        nowNanos: Int64
    ) async throws(SpoolError)
        -> SpoolStatus
    {
        let failed = state.withLock { s -> Bool in
            guard s.failingSettles > 0 else { return false }
            s.failingSettles -= 1
            return true
        }
        if failed { throw SpoolError.write(path: "memory", detail: "injected failure") }
        return state.withLock { s in
            let gone = Set(remove).union(deadLetter.map(\.id))
            s.dead += deadLetter.filter { d in s.envelopes.contains { $0.id == d.id } }
            s.envelopes.removeAll { gone.contains($0.id) }
            return Self.status(s)
        }
    }

    func readStatus() async throws(SpoolError) -> SpoolStatus { state.withLock { Self.status($0) } }

    private static func status(_ s: State) -> SpoolStatus {
        SpoolStatus(
            depth: s.envelopes.count,
            bytes: s.envelopes.reduce(0) { $0 + $1.body.count },
            oldestSpooledAtNanos: nil,
            deadLetters: s.dead.count,
            lastSeq: s.envelopes.last?.seq ?? 0,
            droppedTotal: 0
        )
    }
}

/// A case server that answers from a script: per attempt (1, 2, …), fail the whole batch or
/// answer each envelope; it remembers what it accepted, so a batch sent again is answered
/// `duplicate`, as the real server does.
final class ScriptedDeliverer: Deliverer {
    enum Answer {
        case accept
        case reject(String)
        case fail
    }

    private struct State {
        var calls = 0
        var accepted: [String] = []
        var duplicates = 0
        var batches: [[String]] = []
    }

    private let state = Mutex(State())
    private let before: @Sendable () async -> Void
    private let script: @Sendable (_ attempt: Int, _ id: String) -> Answer

    init(before: @escaping @Sendable () async -> Void = {}, _ script: @escaping @Sendable (Int, String) -> Answer) {
        self.before = before
        self.script = script
    }

    var calls: Int { state.withLock { $0.calls } }
    var acceptedIDs: [String] { state.withLock { $0.accepted } }
    var duplicates: Int { state.withLock { $0.duplicates } }
    var batches: [[String]] { state.withLock { $0.batches } }

    func deliver(_ batch: [SpooledEnvelope]) async -> DeliveryOutcome {
        let attempt = state.withLock { s -> Int in
            s.calls += 1
            s.batches.append(batch.map(\.id))
            return s.calls
        }
        await before()
        if case .fail = script(attempt, batch[0].id) { return .transportFailure(reason: "connection_refused") }
        let results = state.withLock { s in
            batch.map { e -> EnvelopeResult in
                if s.accepted.contains(e.id) {
                    s.duplicates += 1
                    return EnvelopeResult(id: e.id, status: .duplicate)
                }
                switch script(attempt, e.id) {
                case .reject(let why): return EnvelopeResult(id: e.id, status: .rejected, reason: why)
                case .accept, .fail:
                    s.accepted.append(e.id)
                    return EnvelopeResult(id: e.id, status: .accepted)
                }
            }
        }
        return .results(EnvelopeResults(results: results))
    }

    func shutdown() async {}
}

/// Holds deliveries until opened.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { c in
            let now = state.withLock { s -> Bool in
                if s.open { return true }
                s.waiting.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    func open() {
        let waiting = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.open = true
            defer { s.waiting = [] }
            return s.waiting
        }
        for c in waiting { c.resume() }
    }
}
