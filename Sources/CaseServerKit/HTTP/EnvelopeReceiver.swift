import Crypto
import Foundation
import GatewayCore
import Logging

/// Handles one `POST /v1/envelopes` body: opens every envelope, stores the new ones, and
/// answers per envelope. An envelope that does not open (unknown or revoked device, unknown key
/// id, failed authentication, header mismatch) is `rejected` with the reason and stored nowhere;
/// one already stored is `duplicate`, so a gateway retrying after a lost answer is harmless.
public struct EnvelopeReceiver: Sendable {
    private let opener: EnvelopeOpener
    private let devices: DeviceKeyring
    private let repository: any CaseRepository
    private let rules: CaseRules
    private let logger: Logger
    /// Called after each commit with the events that were new (benchmarks timestamp them).
    private let committed: (@Sendable ([EventHeader]) -> Void)?

    /// Devices registered by PEM files only (no device directory in the store).
    public init(
        opener: EnvelopeOpener,
        devices: DeviceRegistry,
        repository: any CaseRepository,
        policy: CasePolicy = .builtIn,
        logger: Logger,
        committed: (@Sendable ([EventHeader]) -> Void)? = nil
    ) {
        self.init(
            opener: opener,
            keyring: DeviceKeyring(directory: nil, files: devices),
            repository: repository,
            policy: policy,
            logger: logger,
            committed: committed
        )
    }

    /// - Parameters: `keyring`: the store's device directory and the PEM directory; a revoked
    ///   device's envelopes are `rejected` with `revoked_device` before any key agreement.
    public init(
        opener: EnvelopeOpener,
        keyring: DeviceKeyring,
        repository: any CaseRepository,
        policy: CasePolicy = .builtIn,
        logger: Logger,
        committed: (@Sendable ([EventHeader]) -> Void)? = nil
    ) {
        self.opener = opener
        self.devices = keyring
        self.repository = repository
        self.rules = CaseRules(policy: policy)
        self.logger = logger
        self.committed = committed
    }

    public func receive(_ batch: EnvelopeBatch, nowNanos: Int64) async throws -> EnvelopeResults {
        var results = [EnvelopeResult?](repeating: nil, count: batch.envelopes.count)
        var opened: [(index: Int, header: EventHeader, json: String)] = []
        var rejected = 0
        for (i, outcome) in try await openAll(batch.envelopes).enumerated() {
            let envelope = batch.envelopes[i]
            switch outcome {
            case .success(let (header, plaintext)):
                if header.kind == "probe" {
                    // Authenticated, answered, never stored: a technician's check is not a scan.
                    results[i] = EnvelopeResult(id: envelope.id, status: .accepted, reason: "probe")
                    logger.info(
                        "probe envelope opened",
                        metadata: ["device": "\(envelope.device)", "key_id": "\(envelope.keyID)"]
                    )
                    continue
                }
                opened.append((i, header, String(decoding: plaintext, as: UTF8.self)))
            case .failure(let error):
                rejected += 1
                results[i] = EnvelopeResult(id: envelope.id, status: .rejected, reason: error.reason)
                logger.warning(
                    "envelope rejected",
                    metadata: ["id": "\(envelope.id)", "device": "\(envelope.device)", "reason": "\(error.reason)"]
                )
            }
        }
        // A reply to a case message is read in full (`JSONDecoder`; replies are few) for what it answers.
        let events = opened.map {
            OpenedEvent(header: $0.header, json: $0.json, reply: IncomingReply.read($0.header, json: $0.json))
        }
        let stored = try await repository.receive(
            events,
            receivedAtNanos: nowNanos,
            rejected: rejected,
            rules: rules
        )
        var accepted = 0
        var casesOpened = 0
        for (k, o) in opened.enumerated() {
            let (fresh, answer) = (stored[k].fresh, stored[k].answer)
            results[o.index] = EnvelopeResult(
                id: o.header.id,
                status: fresh ? .accepted : .duplicate,
                case: answer.caseInfo,
                guidance: answer.guidance
            )
            if fresh { accepted += 1 }
            if fresh, o.header.kind == "reply" {
                // Ids only: the answer is what a person wrote.
                let reply = events[k].reply
                let metadata: Logger.Metadata = [
                    "id": "\(o.header.id)", "device": "\(o.header.device)",
                    "message": "\(reply?.message ?? "-")", "case": "\(reply?.ref ?? "-")",
                ]
                if stored[k].replyFiled == true {
                    logger.info("reply to a case message received", metadata: metadata)
                } else {
                    // Stored, but it answers nothing: a message of no such case, or a terminal
                    // with no scan of its own under the case (a forged answer, or a mistake).
                    logger.warning(
                        "reply stored but filed under no case: its message is not of that case, or its terminal has no event under the case",
                        metadata: metadata
                    )
                }
            }
            if fresh, let c = answer.caseInfo, c.opened {
                casesOpened += 1
                // Per case at debug: a terminal draining its outage opens thousands a second
                // (the info line per case was 4% of the server's CPU); `case-server cases` lists them.
                logger.debug(
                    "case opened",
                    metadata: [
                        "case": "\(c.ref)", "device": "\(o.header.device)", "insurers": "\(c.insurers.map(\.id))",
                    ]
                )
            }
        }
        if !opened.isEmpty {
            logger.info(
                "envelopes stored",
                metadata: [
                    "accepted": "\(accepted)", "duplicate": "\(opened.count - accepted)", "rejected": "\(rejected)",
                    "cases_opened": "\(casesOpened)",
                ]
            )
        }
        if let committed { committed(zip(opened, stored).filter(\.1.fresh).map(\.0.header)) }
        return EnvelopeResults(results: results.map { $0! }, serverKeyIDs: opener.keyIDs)
    }

    /// Whether the envelope opens, storing nothing: the trial of a throttled device id
    /// (`EnvelopeThrottle`). A context it opened is cached, so `receive` opens it again at no cost.
    /// A revoked device's never does. - Throws: when the device directory cannot be read.
    public func opens(_ envelope: Envelope) async throws -> Bool {
        guard case .keys(let keys) = try await devices.lookup(envelope.device) else { return false }
        return (try? opener.openHeader(envelope, deviceKeys: keys)) != nil
    }

    /// Opens a batch's envelopes on all cores (HPKE is ~0.1 ms each), results in batch order.
    private func openAll(
        _ envelopes: [Envelope]
    ) async throws -> [Result<(EventHeader, Data), EnvelopeOpener.OpenError>] {
        let chunks = min(ProcessInfo.processInfo.activeProcessorCount, envelopes.count)
        // A batch comes from one terminal, or a few: look each device's keys up once.
        var keys: [String: DeviceKeyring.Lookup] = [:]
        for e in envelopes where keys[e.device] == nil { keys[e.device] = try await devices.lookup(e.device) }
        let open: @Sendable (Envelope) -> Result<(EventHeader, Data), EnvelopeOpener.OpenError> = { [opener, keys] e in
            guard case .keys(let deviceKeys) = keys[e.device] else { return .failure(.revokedDevice(e.device)) }
            return Result { () throws(EnvelopeOpener.OpenError) in
                let r = try opener.openHeader(e, deviceKeys: deviceKeys)
                return (r.header, r.plaintext)
            }
        }
        guard chunks > 1 else { return envelopes.map(open) }
        let per = (envelopes.count + chunks - 1) / chunks
        return await withTaskGroup(of: (Int, [Result<(EventHeader, Data), EnvelopeOpener.OpenError>]).self) { group in
            for c in 0..<chunks {
                let slice = Array(envelopes[(c * per)..<min(envelopes.count, (c + 1) * per)])
                group.addTask { (c, slice.map(open)) }
            }
            var parts = [[Result<(EventHeader, Data), EnvelopeOpener.OpenError>]](repeating: [], count: chunks)
            for await (c, part) in group { parts[c] = part }
            return parts.flatMap { $0 }
        }
    }
}
