/// Where, who and how-well-timed, as known at the moment of a capture: added to the event
/// before redaction (so the redaction rules see the location and the operator).
public struct CaptureContext: Sendable, Equatable {
    public var location: Location?
    /// The signed-in operator's id (their badge subject), nil when nobody is signed in.
    public var operatorID: String?
    /// True when sessions are tracked and nobody is signed in: a possible bystander report.
    public var unidentified: Bool
    public var clock: ClockQuality?
    public var anomalies: [String]

    public init(
        location: Location? = nil,
        operatorID: String? = nil,
        unidentified: Bool = false,
        clock: ClockQuality? = nil,
        anomalies: [String] = []
    ) {
        self.location = location
        self.operatorID = operatorID
        self.unidentified = unidentified
        self.clock = clock
        self.anomalies = anomalies
    }

    public static let none = CaptureContext()
}

/// How far the event's wall-clock time can be trusted: the system clock against GPS time.
public struct ClockQuality: Codable, Sendable, Equatable {
    /// "gps" when a GPS time was seen, else "none" (no reference: not trusted).
    public var reference: String
    /// System clock minus GPS time at the last fix, milliseconds.
    public var skewMs: Int?
    public var trusted: Bool

    enum CodingKeys: String, CodingKey {
        case reference, trusted
        case skewMs = "skew_ms"
    }

    public init(reference: String, skewMs: Int?, trusted: Bool) {
        self.reference = reference
        self.skewMs = skewMs
        self.trusted = trusted
    }

    /// Trusted when a GPS time is known and the system clock is within `maxSkewMs` of it.
    public static func assess(skewNanos: Int64?, maxSkewMs: Int) -> ClockQuality {
        guard let s = skewNanos else { return ClockQuality(reference: "none", skewMs: nil, trusted: false) }
        let ms = Int(s / 1_000_000)
        return ClockQuality(reference: "gps", skewMs: ms, trusted: abs(ms) <= maxSkewMs)
    }
}
