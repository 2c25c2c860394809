import Foundation

/// The plaintext of an envelope: what was scanned, by which reader, when, and how it was
/// classified. Versioned (`v`) so the case server can accept older gateways after a change.
///
/// It exists in clear only in memory, between decode and seal; it is never logged or stored.
/// The `Redactor` rewrites it before sealing; `redactions` names the rules that changed it.
/// `id`, `device` and `seq` repeat the envelope's header so that the server can check that the
/// sealed content belongs to the header it arrived under (the header is also bound as AAD).
public struct CaptureEvent: Codable, Sendable, Equatable {
    public static let currentVersion = 1

    public var v: Int
    public var id: String
    public var device: String
    public var seq: UInt64
    public var reader: String
    /// RFC 3339 UTC with milliseconds, from the wall clock at capture.
    public var capturedAt: String
    /// CLOCK_MONOTONIC at capture, nanoseconds; only meaningful with `bootID` of the same boot.
    public var monotonicNs: UInt64
    /// The scanned bytes, base64: labels are not always text. After redaction of a text scan it
    /// is the redacted text's bytes; nil when a binary scan held personal data (the decoded
    /// model, redacted, is then the only form that leaves the terminal).
    public var raw: String?
    /// The scanned bytes as text, when they are valid UTF-8.
    public var text: String?
    /// AIM symbology identifier as the reader reported it, when it did.
    public var symbology: String?
    public var tag: TagClassification
    /// The decoded content (GS1, EPC, badge id, NDEF, …), when the scan decoded.
    public var decoded: DecodedTag?
    /// Why a scan that claimed a format failed its checks (a damaged or misread label). The
    /// scan is still delivered — a damaged label is itself a report — but never as a valid tag.
    public var misread: Misread?
    /// Where the terminal was (gpsd), possibly coarsened.
    public var location: Location?
    /// The operator signed in at capture (their badge id, or its pseudonym after redaction).
    public var operatorID: String?
    /// True when operator sessions are tracked and nobody was signed in (a possible bystander).
    public var operatorUnidentified: Bool?
    /// How far `captured_at` can be trusted (system clock against GPS time).
    public var clock: ClockQuality?
    /// `outside_geofence`, `implausible_speed`.
    public var locationAnomalies: [String]?
    /// Names of the redaction rules that changed this event, in rule order; nil when none did.
    public var redactions: [String]?
    /// nil for a scan; "heartbeat" for a terminal's status report (`heartbeat` then set);
    /// "reply" for the person's answer to a case handler's message (`reply` then set, the
    /// answer in `text`); "probe" for `gatewayd --probe`'s no-op, which the server opens but
    /// never stores.
    public var kind: String?
    public var heartbeat: Heartbeat?
    public var reply: CaseReply?
    /// An NFC tap's tag: UID (pseudonymised by the built-in `badge` rule), type, ATQA, SAK.
    public var nfc: NFCTap?

    enum CodingKeys: String, CodingKey {
        case v, id, device, seq, reader, raw, text, tag, symbology, decoded, misread, location, redactions, clock, kind,
            heartbeat, nfc, reply
        case operatorID = "operator"
        case operatorUnidentified = "operator_unidentified"
        case locationAnomalies = "location_anomalies"
        case capturedAt = "captured_at"
        case monotonicNs = "monotonic_ns"
    }

    public init(
        id: String,
        device: String,
        seq: UInt64,
        scan: Scan,
        tag: TagClassification,
        decoded: DecodedTag? = nil,
        misread: Misread? = nil,
        location: Location? = nil,
        operatorID: String? = nil
    ) {
        self.v = Self.currentVersion
        self.id = id
        self.device = device
        self.seq = seq
        self.reader = scan.readerID
        self.capturedAt = RFC3339.format(unixNanos: scan.wallNanos)
        self.monotonicNs = scan.monotonicNanos
        self.raw = Data(scan.bytes).base64EncodedString()
        self.text = String(validating: scan.bytes, as: UTF8.self)
        self.symbology = scan.symbology ?? decoded?.symbology
        self.tag = tag
        self.decoded = decoded
        self.misread = misread
        self.location = location
        self.operatorID = operatorID
        self.nfc = scan.nfc
    }

    /// A heartbeat: no scanned bytes, reader "heartbeat", class unknown.
    public static func heartbeat(
        id: String,
        device: String,
        seq: UInt64,
        wallNanos: Int64,
        monotonicNanos: UInt64,
        status: Heartbeat,
        location: Location?
    ) -> CaptureEvent {
        var e = CaptureEvent(
            id: id,
            device: device,
            seq: seq,
            scan: Scan(readerID: "heartbeat", bytes: [], wallNanos: wallNanos, monotonicNanos: monotonicNanos),
            tag: .unknown
        )
        e.raw = nil
        e.text = nil
        e.kind = "heartbeat"
        e.heartbeat = status
        e.location = location
        return e
    }

    /// The person's answer to a case handler's message (`CaseMessage`), tapped or typed on the
    /// kiosk page: reader "kiosk", class unknown, the answer as `text` (redacted as a scanned
    /// text is before it is sealed), no `raw`; empty for an instruction's acknowledgement.
    public static func reply(
        id: String,
        device: String,
        seq: UInt64,
        wallNanos: Int64,
        monotonicNanos: UInt64,
        reply: CaseReply,
        answer: String
    ) -> CaptureEvent {
        var e = CaptureEvent(
            id: id,
            device: device,
            seq: seq,
            scan: Scan(
                readerID: "kiosk",
                bytes: Array(answer.utf8),
                wallNanos: wallNanos,
                monotonicNanos: monotonicNanos
            ),
            tag: .unknown
        )
        e.raw = nil
        e.text = answer
        e.kind = "reply"
        e.reply = reply
        return e
    }

    /// `gatewayd --probe`'s authenticated no-op: sealed like any event, so the server's answer
    /// proves the device is registered under this key and the server holds the key it was
    /// sealed to; seq 0 (the spool's sequence starts at 1) and kind "probe", which the server
    /// answers `accepted` without storing.
    public static func probe(id: String, device: String, wallNanos: Int64, monotonicNanos: UInt64) -> CaptureEvent {
        var e = CaptureEvent(
            id: id,
            device: device,
            seq: 0,
            scan: Scan(readerID: "probe", bytes: [], wallNanos: wallNanos, monotonicNanos: monotonicNanos),
            tag: .unknown
        )
        e.raw = nil
        e.text = nil
        e.kind = "probe"
        return e
    }

    /// Adds what was known about place, person and time at capture.
    public mutating func apply(_ c: CaptureContext) {
        location = c.location
        operatorID = c.operatorID
        operatorUnidentified = c.unidentified ? true : nil
        clock = c.clock
        locationAnomalies = c.anomalies.isEmpty ? nil : c.anomalies
    }

    /// Canonical JSON (sorted keys) so that equal events seal equal plaintexts; written
    /// directly (CaptureEventJSON.swift), the same bytes as `JSONEncoder` with sorted keys.
    public func jsonBytes() throws -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        try writeJSON(to: &w)
        return w.bytes
    }

    public static func decode(_ bytes: some Collection<UInt8>) throws -> CaptureEvent {
        try JSONDecoder().decode(CaptureEvent.self, from: Data(bytes))
    }
}

/// What a tag is, as decided by the configured label schemas.
public struct TagClassification: Codable, Sendable, Equatable {
    public var kind: TagClass
    /// Name of the schema that matched; nil when none did.
    public var schema: String?
    /// The id the case server expects (e.g. the insured object's id); nil when unknown.
    public var subject: String?

    enum CodingKeys: String, CodingKey {
        case kind = "class"
        case schema, subject
    }

    public init(kind: TagClass, schema: String? = nil, subject: String? = nil) {
        self.kind = kind
        self.schema = schema
        self.subject = subject
    }

    public static let unknown = TagClassification(kind: .unknown)
}

/// The four classes a tag can fall in (DESIGN.md, "Decode").
public enum TagClass: String, Codable, Sendable, CaseIterable {
    case subject
    case operatorBadge = "operator"
    case configuration = "config"
    case unknown
}
