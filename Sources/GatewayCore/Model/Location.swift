/// Where the terminal was when a scan was captured, from gpsd (issue #7 fills it in).
///
/// A location is personal data — it says where an operator stood — so the redaction engine can
/// coarsen it (`action = "coarsen"` on field `location`) before the event is sealed.
public struct Location: Codable, Sendable, Equatable {
    /// WGS 84 degrees.
    public var lat: Double
    public var lon: Double
    /// Metres above mean sea level, when the fix is 3D.
    public var alt: Double?
    /// Horizontal error estimate in metres (gpsd's `eph`), when known. Coarsening raises it to
    /// at least the cell size so the server never believes a coarsened fix is precise.
    public var accuracyM: Double?

    enum CodingKeys: String, CodingKey {
        case lat, lon, alt
        case accuracyM = "accuracy_m"
    }

    public init(lat: Double, lon: Double, alt: Double? = nil, accuracyM: Double? = nil) {
        self.lat = lat
        self.lon = lon
        self.alt = alt
        self.accuracyM = accuracyM
    }
}
