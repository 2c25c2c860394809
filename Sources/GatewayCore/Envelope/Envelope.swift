/// The unit of delivery (wire format v1, docs/wire-format.md): a sealed capture event plus the
/// header a server needs to route, deduplicate and order it without opening it.
public struct Envelope: Codable, Sendable, Equatable {
    /// UUIDv7; the idempotency key.
    public var id: String
    public var device: String
    /// Per-device sequence number, gapless from the spool's point of view.
    public var seq: UInt64
    public var sealedAt: String
    public var suite: String
    /// Which server public key this was sealed to.
    public var keyID: String
    /// HPKE encapsulated key, base64.
    public var enc: String
    /// HPKE ciphertext (AES-256-GCM, tag included), base64.
    public var ct: String

    enum CodingKeys: String, CodingKey {
        case id, device, seq, suite, enc, ct
        case sealedAt = "sealed_at"
        case keyID = "key_id"
    }

    public init(
        id: String,
        device: String,
        seq: UInt64,
        sealedAt: String,
        suite: String,
        keyID: String,
        enc: String,
        ct: String
    ) {
        self.id = id
        self.device = device
        self.seq = seq
        self.sealedAt = sealedAt
        self.suite = suite
        self.keyID = keyID
        self.enc = enc
        self.ct = ct
    }
}

extension Envelope {
    /// The envelope as stored in the spool and sent: JSON with sorted keys, the same bytes
    /// `JSONEncoder` with `.sortedKeys, .withoutEscapingSlashes` makes, written directly.
    public func jsonBytes() -> [UInt8] {
        var w = JSONWriter(capacity: 160 + ct.utf8.count)
        w.raw("{")
        w.key("ct", first: true)
        w.string(ct)
        w.key("device")
        w.string(device)
        w.key("enc")
        w.string(enc)
        w.key("id")
        w.string(id)
        w.key("key_id")
        w.string(keyID)
        w.key("sealed_at")
        w.string(sealedAt)
        w.key("seq")
        w.integer(seq)
        w.key("suite")
        w.string(suite)
        w.raw("}")
        return w.bytes
    }
}

/// `POST /v1/envelopes` request body.
public struct EnvelopeBatch: Codable, Sendable {
    public var envelopes: [Envelope]
    public init(envelopes: [Envelope]) { self.envelopes = envelopes }
}

/// `POST /v1/envelopes` response body: one result per envelope, by id.
///
/// On the wire the guidance a batch's results carry is written once, in the document's
/// `guidance` list, and each result names its entry by index (`guidance_ref`): a batch of 500
/// subject scans has one or two distinct guidance texts, and writing (and parsing) each in
/// full 500 times was a fifth of both processes' CPU while draining. In memory every result
/// holds its own `guidance`, as before; only `Codable` and `jsonBytes()` know the table.
public struct EnvelopeResults: Codable, Sendable, Equatable {
    public var results: [EnvelopeResult]
    /// The key ids the server holds private keys for, so `gatewayd --probe` can tell a
    /// terminal sealing to a key the server no longer has (optional: older servers omit it).
    public var serverKeyIDs: [String]?

    enum CodingKeys: String, CodingKey {
        case results, guidance
        case serverKeyIDs = "server_key_ids"
    }

    public init(results: [EnvelopeResult], serverKeyIDs: [String]? = nil) {
        self.results = results
        self.serverKeyIDs = serverKeyIDs
    }

    /// One result as sent: its guidance by index into the document's table. `guidance` in
    /// full is still read (servers of the first cases release wrote it per result).
    private struct WireResult: Codable {
        var id: String
        var status: EnvelopeResult.Status
        var reason: String?
        var `case`: CaseInfo?
        var guidanceRef: Int?
        var guidance: Guidance?

        enum CodingKeys: String, CodingKey {
            case id, status, reason, `case`, guidance
            case guidanceRef = "guidance_ref"
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let table = try c.decodeIfPresent([Guidance].self, forKey: .guidance) ?? []
        let wire = try c.decode([WireResult].self, forKey: .results)
        results = try wire.map { r in
            var g = r.guidance
            if let i = r.guidanceRef {
                guard table.indices.contains(i) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .results,
                        in: c,
                        debugDescription:
                            "guidance_ref \(i) is not in the document's guidance list (\(table.count) entries)"
                    )
                }
                g = table[i]
            }
            return EnvelopeResult(id: r.id, status: r.status, reason: r.reason, case: r.case, guidance: g)
        }
        serverKeyIDs = try c.decodeIfPresent([String].self, forKey: .serverKeyIDs)
    }

    public func encode(to encoder: any Encoder) throws {
        let (table, refs) = guidanceTable()
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(
            zip(results, refs).map { r, ref in
                WireResult(id: r.id, status: r.status, reason: r.reason, case: r.case, guidanceRef: ref, guidance: nil)
            },
            forKey: .results
        )
        if !table.isEmpty { try c.encode(table, forKey: .guidance) }
        try c.encodeIfPresent(serverKeyIDs, forKey: .serverKeyIDs)
    }

    /// The distinct guidance of the results, in order of first use, and each result's index.
    func guidanceTable() -> (table: [Guidance], refs: [Int?]) {
        var table: [Guidance] = []
        var refs: [Int?] = []
        refs.reserveCapacity(results.count)
        for r in results {
            guard let g = r.guidance else {
                refs.append(nil)
                continue
            }
            // A batch has a handful of distinct entries: a linear search beats hashing texts.
            if let i = table.firstIndex(of: g) {
                refs.append(i)
            } else {
                refs.append(table.count)
                table.append(g)
            }
        }
        return (table, refs)
    }

    /// The document as the server sends it: the bytes `JSONEncoder` with `.sortedKeys,
    /// .withoutEscapingSlashes` makes of it (JSONWriterTests), written directly — the server
    /// writes one per batch of up to 500 results, at the drain's rate.
    public func jsonBytes() throws -> [UInt8] {
        let (table, refs) = guidanceTable()
        var w = JSONWriter(capacity: 64 + results.count * 160)
        try w.object { o in
            if !table.isEmpty { try o.values("guidance", table) }
            try o.member("results") { w in
                try w.array(Array(results.indices)) { w, i in
                    let r = results[i]
                    try w.object { o in
                        try o.value("case", r.case)
                        o.integer("guidance_ref", refs[i])
                        o.string("id", r.id)
                        o.string("reason", r.reason)
                        o.string("status", r.status.rawValue)
                    }
                }
            }
            o.strings("server_key_ids", serverKeyIDs)
        }
        return w.bytes
    }
}

public struct EnvelopeResult: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case accepted, duplicate, rejected
    }
    public var id: String
    public var status: Status
    public var reason: String?
    /// The case the event opened or joined (subject scans), for the terminal to show and follow.
    public var `case`: CaseInfo?
    /// What the person on site should do now (any accepted event the server has guidance for).
    public var guidance: Guidance?

    public init(
        id: String,
        status: Status,
        reason: String? = nil,
        case caseInfo: CaseInfo? = nil,
        guidance: Guidance? = nil
    ) {
        self.id = id
        self.status = status
        self.reason = reason
        self.case = caseInfo
        self.guidance = guidance
    }
}

/// The fields of a sealed capture event a server checks and files by — read from the opened
/// plaintext without decoding the whole event (that decode was an eighth of case-server's CPU
/// while draining).
public struct EventHeader: Decodable, Sendable, Equatable {
    /// The event format's version (`CaptureEvent.currentVersion`).
    public var v: Int
    public var id: String
    public var device: String
    public var seq: UInt64
    public var kind: String?
    /// What the tag is: cases are opened for subjects, guidance is chosen by class and schema.
    public var tag: TagClassification?
    /// The operator signed in at capture (as redaction left it), if any.
    public var operatorID: String?
    public var capturedAt: String?

    enum CodingKeys: String, CodingKey {
        case v, id, device, seq, kind, tag
        case operatorID = "operator"
        case capturedAt = "captured_at"
    }

    public init(
        v: Int = CaptureEvent.currentVersion,
        id: String,
        device: String,
        seq: UInt64,
        kind: String? = nil,
        tag: TagClassification? = nil,
        operatorID: String? = nil,
        capturedAt: String? = nil
    ) {
        self.v = v
        self.id = id
        self.device = device
        self.seq = seq
        self.kind = kind
        self.tag = tag
        self.operatorID = operatorID
        self.capturedAt = capturedAt
    }
}
