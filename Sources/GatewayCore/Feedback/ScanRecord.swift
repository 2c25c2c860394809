/// What the terminal keeps, for a while and in memory only, about a recent scan: enough to
/// show the person on site that it was received and what to do — taken from the event as it
/// was sealed, so it holds no more than what redaction left (the subject as redacted, no text,
/// no raw bytes, no location).
public struct ScanRecord: Codable, Sendable, Equatable {
    public enum Delivery: String, Codable, Sendable {
        /// On disk, waiting for the case server.
        case spooled
        /// In a request to the case server now.
        case sent
        /// The server has it (accepted, or it had it already).
        case accepted
        /// The server refused it for good; kept on the terminal as a dead letter.
        case deadLettered = "dead_lettered"
    }

    public var id: String
    public var seq: UInt64
    public var reader: String
    public var capturedAt: String
    public var kind: TagClass
    public var schema: String?
    /// As redaction left it.
    public var subject: String?
    /// The decoded format, or `misread` with the format that failed its checks.
    public var format: String?
    public var misread: String?
    /// The operator signed in at capture, as redaction left it (a pseudonym).
    public var operatorID: String?
    /// An NFC tap's tag type (`ntag215`, `mifare_classic_1k`, …); never its UID.
    public var nfc: String?
    public var delivery: Delivery
    /// Why a delivery is waiting or was refused (the server's reason, or the transport's).
    public var reason: String?
    public var caseRef: String?
    public var guidance: Guidance?

    enum CodingKeys: String, CodingKey {
        case id, seq, reader
        case kind = "class"
        case schema, subject, format, misread, nfc, delivery, reason, guidance
        case capturedAt = "captured_at"
        case operatorID = "operator"
        case caseRef = "case"
    }

    /// The record of a sealed (redacted) event, spooled.
    public init(sealed e: CaptureEvent) {
        id = e.id
        seq = e.seq
        reader = e.reader
        capturedAt = e.capturedAt
        kind = e.tag.kind
        schema = e.tag.schema
        subject = e.tag.subject
        format = e.decoded?.format.rawValue
        misread = e.misread.map { "\($0.format): \($0.reason)" }
        operatorID = e.operatorID
        nfc = e.nfc?.type.rawValue
        delivery = .spooled
    }
}
