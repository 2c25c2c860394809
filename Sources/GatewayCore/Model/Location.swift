/// Where the terminal was when a scan was captured, from gpsd (issue #7 fills it in).
///
/// A location is personal data — it says where an operator stood — so the redaction engine can
/// coarsen it (`action = "coarsen"` on field `location`) before the event is sealed.
public struct Location: Codable, Sendable, Equatable {
    public enum Fix: String, Codable, Sendable {
        case none
        case fix2D = "2d"
        case fix3D = "3d"
    }

    /// `none` comes with no coordinates and a `reason`: never a stale fix, never 0,0.
    public var fix: Fix = .fix2D
    /// WGS 84 degrees (0 with `fix = none`; readers must look at `fix`).
    public var lat: Double
    public var lon: Double
    /// Metres above mean sea level, when the fix is 3D.
    public var alt: Double?
    /// Horizontal error estimate in metres (gpsd's `eph`), when known. Coarsening raises it to
    /// at least the cell size so the server never believes a coarsened fix is precise.
    public var accuracyM: Double?
    public var verticalAccuracyM: Double?
    /// The fix's own time (GPS, UTC), RFC 3339.
    public var fixTime: String?
    /// Satellites used in the fix.
    public var satellites: Int?
    /// How old the fix was at capture (monotonic), milliseconds.
    public var ageMs: Int?
    /// Why there is no fix.
    public var reason: String?

    enum CodingKeys: String, CodingKey {
        case fix, lat, lon, alt, satellites, reason
        case accuracyM = "accuracy_m"
        case verticalAccuracyM = "vertical_accuracy_m"
        case fixTime = "fix_time"
        case ageMs = "age_ms"
    }

    /// With `fix = none` the coordinates are left out of the JSON altogether, so no reader can
    /// take a missing fix for a position at 0,0.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(fix, forKey: .fix)
        if fix != .none {
            try c.encode(lat, forKey: .lat)
            try c.encode(lon, forKey: .lon)
        }
        try c.encodeIfPresent(alt, forKey: .alt)
        try c.encodeIfPresent(accuracyM, forKey: .accuracyM)
        try c.encodeIfPresent(verticalAccuracyM, forKey: .verticalAccuracyM)
        try c.encodeIfPresent(fixTime, forKey: .fixTime)
        try c.encodeIfPresent(satellites, forKey: .satellites)
        try c.encodeIfPresent(ageMs, forKey: .ageMs)
        try c.encodeIfPresent(reason, forKey: .reason)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        fix = try c.decodeIfPresent(Fix.self, forKey: .fix) ?? .fix2D
        lat = try c.decodeIfPresent(Double.self, forKey: .lat) ?? 0
        lon = try c.decodeIfPresent(Double.self, forKey: .lon) ?? 0
        alt = try c.decodeIfPresent(Double.self, forKey: .alt)
        accuracyM = try c.decodeIfPresent(Double.self, forKey: .accuracyM)
        verticalAccuracyM = try c.decodeIfPresent(Double.self, forKey: .verticalAccuracyM)
        fixTime = try c.decodeIfPresent(String.self, forKey: .fixTime)
        satellites = try c.decodeIfPresent(Int.self, forKey: .satellites)
        ageMs = try c.decodeIfPresent(Int.self, forKey: .ageMs)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        if fix != .none && (c.contains(.lat) == false || c.contains(.lon) == false) {
            throw DecodingError.dataCorruptedError(forKey: .lat, in: c, debugDescription: "a fix needs lat and lon")
        }
    }

    public static func noFix(reason: String) -> Location {
        var l = Location(lat: 0, lon: 0)
        l.fix = .none
        l.reason = reason
        return l
    }

    public init(lat: Double, lon: Double, alt: Double? = nil, accuracyM: Double? = nil) {
        self.lat = lat
        self.lon = lon
        self.alt = alt
        self.accuracyM = accuracyM
    }
}
