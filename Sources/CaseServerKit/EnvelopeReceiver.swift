import Foundation
import GatewayCore
import Logging

/// Handles one `POST /v1/envelopes` body: opens every envelope, stores the new ones, and
/// answers per envelope. An envelope that does not open (unknown device, unknown key id,
/// failed authentication, header mismatch) is `rejected` with the reason and stored nowhere;
/// one already stored is `duplicate`, so a gateway retrying after a lost answer is harmless.
public struct EnvelopeReceiver: Sendable {
    private let opener: EnvelopeOpener
    private let devices: DeviceRegistry
    private let store: CaseStore
    private let logger: Logger
    /// Called after each commit with the events that were new (benchmarks timestamp them).
    private let committed: (@Sendable ([CaptureEvent]) -> Void)?

    public init(opener: EnvelopeOpener, devices: DeviceRegistry, store: CaseStore, logger: Logger,
                committed: (@Sendable ([CaptureEvent]) -> Void)? = nil) {
        self.opener = opener
        self.devices = devices
        self.store = store
        self.logger = logger
        self.committed = committed
    }

    public func receive(_ batch: EnvelopeBatch, nowNanos: Int64) async throws -> EnvelopeResults {
        var results = [EnvelopeResult?](repeating: nil, count: batch.envelopes.count)
        var opened: [(index: Int, event: CaptureEvent)] = []
        var rejected = 0
        for (i, envelope) in batch.envelopes.enumerated() {
            do {
                let event = try opener.open(envelope, deviceKeys: devices.keys(for: envelope.device))
                if event.kind == "probe" {
                    // Authenticated, answered, never stored: a technician's check is not a scan.
                    results[i] = EnvelopeResult(id: envelope.id, status: .accepted, reason: "probe")
                    logger.info("probe envelope opened", metadata: ["device": "\(envelope.device)", "key_id": "\(envelope.keyID)"])
                    continue
                }
                opened.append((i, event))
            } catch {
                rejected += 1
                results[i] = EnvelopeResult(id: envelope.id, status: .rejected, reason: error.reason)
                logger.warning("envelope rejected", metadata: ["id": "\(envelope.id)", "device": "\(envelope.device)", "reason": "\(error.reason)"])
            }
        }
        let fresh = try await store.insert(opened.map(\.event), receivedAtNanos: nowNanos, rejected: rejected)
        if let committed { committed(zip(opened, fresh).filter(\.1).map(\.0.event)) }
        for (k, o) in opened.enumerated() {
            results[o.index] = EnvelopeResult(id: o.event.id, status: fresh[k] ? .accepted : .duplicate)
        }
        return EnvelopeResults(results: results.map { $0! }, serverKeyIDs: opener.keyIDs)
    }
}
