/// What location an event gets: the last fix from gpsd if it is a real fix (2D or 3D, with
/// coordinates, not 0,0) and younger than `maxAge` at the moment of capture; otherwise an
/// explicit "no fix". A stale fix is never passed off as current.
///
/// Ages are measured on the monotonic clock: the fix's age is the time since gatewayd
/// *received* it, so a wrong wall clock (or GPS time far from it) cannot make an old fix look
/// new.
public struct FixPolicy: Sendable, Equatable {
    public var maxAgeNanos: UInt64

    public init(maxAgeSeconds: Double = 10) {
        maxAgeNanos = UInt64(maxAgeSeconds * 1e9)
    }

    /// The last fix as received: the report, satellites in use, and the monotonic receive time.
    public struct Received: Sendable, Equatable {
        public var fix: GPSFix
        public var satellitesUsed: Int?
        public var receivedMonotonicNanos: UInt64
        public init(fix: GPSFix, satellitesUsed: Int? = nil, receivedMonotonicNanos: UInt64) {
            self.fix = fix
            self.satellitesUsed = satellitesUsed
            self.receivedMonotonicNanos = receivedMonotonicNanos
        }
    }

    public func location(last: Received?, captureMonotonicNanos: UInt64) -> Location {
        guard let last else { return .noFix(reason: "no fix received from gpsd") }
        let t = last.fix
        let age =
            captureMonotonicNanos >= last.receivedMonotonicNanos
            ? captureMonotonicNanos - last.receivedMonotonicNanos : 0
        guard t.mode >= 2 else { return .noFix(reason: "gpsd reports no fix") }
        guard let lat = t.lat, let lon = t.lon, (-90...90).contains(lat), (-180...180).contains(lon),
            !(lat == 0 && lon == 0)
        else {
            return .noFix(reason: "fix without usable coordinates")
        }
        guard age <= maxAgeNanos else {
            return .noFix(reason: "last fix is \(age / 1_000_000_000) s old (max_age_s \(maxAgeNanos / 1_000_000_000))")
        }
        var loc = Location(lat: lat, lon: lon, alt: t.mode == 3 ? t.alt : nil, accuracyM: t.eph)
        loc.fix = t.mode == 3 ? .fix3D : .fix2D
        loc.verticalAccuracyM = t.mode == 3 ? t.epv : nil
        loc.fixTime = t.timeUnixNanos.map { RFC3339.format(unixNanos: $0) }
        loc.satellites = last.satellitesUsed
        loc.ageMs = Int(age / 1_000_000)
        return loc
    }
}
