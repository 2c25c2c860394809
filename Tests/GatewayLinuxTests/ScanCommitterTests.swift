import GatewayCore
import GatewaySystem
import Logging
import NIOConcurrencyHelpers
import XCTest

@testable import GatewayLinux

/// The committer between every reader and the sink, over a listening sink (nothing spooled):
/// noise is marked, coalesced and counted, genuine scans pass in order, floods are reported.
final class ScanCommitterTests: XCTestCase {
    let events = NIOLockedValueBox<[CaptureEvent]>([])
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    func committer(
        framesText: Bool = true,
        dedupMillis: Int = 0,
        flood: FloodMonitor.Settings = .init(rate: 500, seconds: 2),
        health: ReaderHealthBoard = ReaderHealthBoard()
    ) throws -> ScanCommitter {
        let sealer = CaptureSealer(
            classifier: TagClassifier(schemas: []),
            sealer: EnvelopeSealer(
                device: "d",
                deviceKey: .init(),
                serverKey: try .init(rawRepresentation: [UInt8](repeating: 9, count: 32))
            ),
            redactor: Redactor(rules: RedactionRule.builtIn, pseudonymizer: nil)
        )
        let events = self.events
        let sink = CaptureSink(listeningWith: sealer, logger: logger) { e in events.withLockedValue { $0.append(e) } }
        return ScanCommitter(
            readerID: "fifo0",
            sink: sink,
            stop: StopSignal(),
            logger: logger,
            dedupMillis: dedupMillis,
            framesText: framesText,
            flood: flood,
            health: health
        )
    }

    func scan(_ bytes: [UInt8], at mono: UInt64 = Clocks.monotonicNanos()) -> Scan {
        Scan(readerID: "fifo0", bytes: bytes, wallNanos: Clocks.wallNanos(), monotonicNanos: mono)
    }

    var junk: [UInt8] { [0x41, 0xFF, 0x00, 0x1B] }

    func testNoiseIsCoalescedAroundGenuineScansInOrder() throws {
        let health = ReaderHealthBoard()
        let c = try committer(dedupMillis: 60_000, health: health)
        let batch =
            [scan(Array("ACME-1".utf8))] + Array(repeating: scan(junk), count: 100) + [
                scan(Array("]C10109506000134352\u{1D}10LOT".utf8))
            ]
            + Array(repeating: scan(junk + junk), count: 50)
        XCTAssertTrue(c.commit(batch))
        c.finish()
        let got = events.withLockedValue { $0 }
        XCTAssertEqual(
            got.map { $0.misread?.format ?? $0.text },
            ["ACME-1", "noise", "]C10109506000134352\u{1D}10LOT", "noise"]
        )
        XCTAssertEqual(got[1].misread?.reason.hasPrefix("100 lines, 400 bytes within 1 s"), true, "\(got[1].misread!)")
        XCTAssertEqual(got[3].misread?.reason.hasPrefix("50 lines, 400 bytes"), true, "\(got[3].misread!)")
        XCTAssertEqual(got[1].tag, .unknown)
        XCTAssertNil(got[1].decoded)
        XCTAssertEqual(got[1].raw, "", "the noise itself is not kept")
        XCTAssertEqual(c.noiseLines, 150)
        XCTAssertEqual(health.health("fifo0")?.noiseLines, 150)
        XCTAssertEqual(health.health("fifo0")?.flooding, false)
    }

    func testPendingNoiseWaitsForItsSecondOrATick() throws {
        let c = try committer()
        XCTAssertEqual(c.pollTimeoutMs, -1)
        XCTAssertTrue(c.commit([scan(junk)]))
        XCTAssertEqual(events.withLockedValue { $0 }, [])
        XCTAssertGreaterThan(c.pollTimeoutMs, 0)
        XCTAssertLessThanOrEqual(c.pollTimeoutMs, 1000)
        XCTAssertTrue(c.tick())
        XCTAssertEqual(events.withLockedValue { $0 }.count, 0, "not due yet")
        // Read over a second ago: due by the end of the commit.
        let late = try committer()
        XCTAssertTrue(late.commit([scan(junk, at: Clocks.monotonicNanos() - 2_000_000_000)]))
        XCTAssertEqual(events.withLockedValue { $0 }.map { $0.misread?.format }, ["noise"])
        XCTAssertEqual(late.pollTimeoutMs, -1)
    }

    func testBinaryFramingsDeliverTheirBytesAsScans() throws {
        let c = try committer(framesText: false)
        XCTAssertTrue(c.commit([scan(junk), scan(junk)]))
        let got = events.withLockedValue { $0 }
        XCTAssertEqual(got.count, 2)
        XCTAssertNil(got[0].misread)
        XCTAssertEqual(c.noiseLines, 0)
    }

    func testAFloodIsReportedOnceAndEndsWhenTheReaderCalms() throws {
        let health = ReaderHealthBoard()
        let c = try committer(flood: .init(rate: 100, seconds: 2), health: health)
        // 150 scans a second for three seconds, ending three seconds ago: the tick at the end of
        // the commit judges every second up to now.
        let start = Clocks.monotonicNanos() - 6_000_000_000
        let scans = (0..<450).map { (k: Int) -> Scan in
            let at: UInt64 = start + UInt64(k / 150) * 1_000_000_000 + UInt64(k % 150) * 6_000_000
            return scan(k % 3 == 0 ? junk : Array("ACME-\(k)".utf8), at: at)
        }
        XCTAssertTrue(c.commit(scans))
        let h = try XCTUnwrap(health.health("fifo0"))
        XCTAssertEqual(h.floods, 1)
        XCTAssertFalse(h.flooding)
        XCTAssertEqual(h.lastFlood?.scans, 450)
        XCTAssertEqual(h.lastFlood?.noiseLines, 150)
        XCTAssertEqual(h.lastFlood?.peakRate, 150)
        XCTAssertNotNil(h.lastFlood?.endedAt)
        XCTAssertEqual(h.noiseLines, 150)
        let got = events.withLockedValue { $0 }
        XCTAssertEqual(got.filter { $0.misread == nil }.count, 300, "every genuine scan delivered")
        XCTAssertEqual(got.filter { $0.misread?.format == "noise" }.count, 150, "each noise line sat between two scans")
    }
}
