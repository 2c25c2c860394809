import GatewayCore
import GatewaySystem
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Drains the spool to the case server, oldest first, with up to two batches in flight while
/// deliveries succeed (one after a failure), and waits on the doorbell when the spool is empty.
/// The decisions are pure state machines' — what an answer means and how long to wait,
/// `ForwarderStateMachine`; which step comes next, `ForwarderLoop` — and `ForwarderDriver` does
/// the I/O they ask for. This type is the service around them: start, reload, stop.
///
/// Generic over what it drains and where it sends (`Spool` and `HTTPDeliverer` in the daemon),
/// so tests run it over an in-memory queue and a scripted deliverer.
public struct ForwarderService<Queue: EnvelopeQueue, Delivery: Deliverer>: Service {
    private let queue: Queue
    /// Swapped on reload; a batch in flight finishes on the deliverer it started with.
    private let deliverer: NIOLockedValueBox<Delivery>
    private let doorbell: Doorbell
    private let batchMax: Int
    private let batchMaxBytes: Int
    private let linger: Duration
    private let backoff: Backoff
    private let logger: Logger
    /// Told what each batch came to, for the kiosk page.
    private let feedback: FeedbackHub?
    /// The forwarder's and the spool's state, in memory, for the rest of the process.
    public let board: ForwarderStatusBoard

    public init(
        spool: Queue,
        deliverer: Delivery,
        doorbell: Doorbell,
        batchMax: Int,
        batchMaxBytes: Int,
        linger: Duration,
        backoff: Backoff,
        feedback: FeedbackHub? = nil,
        board: ForwarderStatusBoard = .init(),
        logger: Logger
    ) {
        self.queue = spool
        self.deliverer = NIOLockedValueBox(deliverer)
        self.doorbell = doorbell
        self.batchMax = batchMax
        self.batchMaxBytes = batchMaxBytes
        self.linger = linger
        self.backoff = backoff
        self.feedback = feedback
        self.board = board
        self.logger = logger
    }

    /// Reload: later batches go to `new`; the old deliverer is shut down once a batch that may
    /// still be using it has had its full request timeout.
    public func replace(deliverer new: Delivery, drainAfter: Duration) {
        let old = deliverer.withLockedValue { d -> Delivery in
            defer { d = new }
            return d
        }
        Task {
            try? await Task.sleep(for: drainAfter)
            await old.shutdown()
        }
    }

    /// The deliverer in use now (the case follower asks the same server the same way).
    public func currentDeliverer() -> Delivery { deliverer.withLockedValue { $0 } }

    public func run() async throws {
        let loop = ForwarderLoop(
            delivery: ForwarderStateMachine(backoff: backoff),
            batchMax: batchMax,
            batchMaxBytes: batchMaxBytes,
            lingerEnabled: linger > .zero,
            pipelineDepth: Self.pipelineDepth
        )
        let current = self.deliverer
        var driver = ForwarderDriver(
            loop: loop,
            queue: queue,
            deliverer: { current.withLockedValue { $0 } },
            doorbell: doorbell,
            linger: linger,
            feedback: feedback,
            board: board,
            logger: logger
        )
        let doorbell = self.doorbell
        // Envelopes can also appear from outside (`gatewayd spool retry-dead`): look every 5 s.
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(5))
                doorbell.ring()
            }
        }
        defer { ticker.cancel() }
        await withGracefulShutdownHandler {
            await driver.run()
        } onGracefulShutdown: {
            doorbell.close()
        }
        await deliverer.withLockedValue { $0 }.shutdown()
    }

    /// Batches in flight at once while deliveries succeed. Two keep both ends busy: the
    /// terminal reads and sends the next batch while the server stores this one. More would
    /// only queue at the server's single database writer. Answers are taken in the order sent,
    /// and an envelope leaves the spool only on its own answer, so nothing changes for
    /// durability.
    static var pipelineDepth: Int { 2 }
}
