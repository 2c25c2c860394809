import CaseServerKit
import Crypto
import Foundation
import GatewayCore
import Logging
import XCTest

final class EnvelopeReceiverTests: ServerTestCase {

    func envelope(
        device name: String = "term-1",
        key: Curve25519.KeyAgreement.PrivateKey? = nil,
        seq: UInt64
    ) throws -> Envelope {
        let scan = Scan(readerID: "r", bytes: Array("ACME-\(seq)".utf8), wallNanos: 0, monotonicNanos: 0)
        let event = CaptureEvent(id: "id-\(name)-\(seq)", device: name, seq: seq, scan: scan, tag: .unknown)
        return try EnvelopeSealer(device: name, deviceKey: key ?? device, serverKey: server.publicKey).seal(
            event,
            sealedAtNanos: 0
        )
    }

    func testAcceptsOnceThenAnswersDuplicateAndRejectsWithoutStoring() async throws {
        let store = try SQLiteCaseStore(path: dir + "/cases.db")
        let receiver = receiver(store)
        let good = try envelope(seq: 1)
        var tampered = try envelope(seq: 2)
        tampered.ct = String(tampered.ct.reversed())
        let stranger = try envelope(device: "term-9", key: Curve25519.KeyAgreement.PrivateKey(), seq: 1)

        let first = try await receiver.receive(EnvelopeBatch(envelopes: [good, tampered, stranger]), nowNanos: 1)
        XCTAssertEqual(first.results.map(\.status), [.accepted, .rejected, .rejected])
        XCTAssertTrue(first.results[2].reason!.hasPrefix("unknown_device"), first.results[2].reason!)
        let again = try await receiver.receive(EnvelopeBatch(envelopes: [good]), nowNanos: 2)
        XCTAssertEqual(again.results.map(\.status), [.duplicate])

        let stored = try await store.events()
        XCTAssertEqual(stored.map(\.id), [good.id])
        let counters = try await store.counters()
        XCTAssertEqual(counters.duplicates, 1)
        XCTAssertEqual(counters.rejected, 2)
    }
}

extension EnvelopeReceiverTests {
    /// `gatewayd --probe`'s envelope: opened (so a wrong key is refused as any other), answered
    /// `accepted` with reason "probe", never stored; the answer names the server's key ids.
    func testProbeEnvelopeIsAuthenticatedButNotStored() async throws {
        let store = try SQLiteCaseStore(path: dir + "/cases.db")
        let receiver = receiver(store)
        let probe = CaptureEvent.probe(id: "probe-1", device: "term-1", wallNanos: 0, monotonicNanos: 0)
        let sealed = try EnvelopeSealer(device: "term-1", deviceKey: device, serverKey: server.publicKey).seal(
            probe,
            sealedAtNanos: 0
        )
        let forged = try EnvelopeSealer(
            device: "term-1",
            deviceKey: Curve25519.KeyAgreement.PrivateKey(),
            serverKey: server.publicKey
        ).seal(probe, sealedAtNanos: 0)
        let r = try await receiver.receive(EnvelopeBatch(envelopes: [sealed, forged]), nowNanos: 1)
        XCTAssertEqual(r.results.map(\.status), [.accepted, .rejected])
        XCTAssertEqual(r.results[0].reason, "probe")
        XCTAssertTrue(r.results[1].reason!.hasPrefix("authentication_failed"))
        XCTAssertEqual(r.serverKeyIDs, [X25519KeyPEM.keyID(of: server.publicKey)])
        let stored = try await store.events()
        XCTAssertEqual(stored.count, 0)
        XCTAssertEqual(sealed.seq, 0)
    }
}
