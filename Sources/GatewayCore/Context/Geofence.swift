import Foundation

/// Configured areas where the terminal is expected to be, and the fastest it can plausibly
/// move. An event outside every area, or implying a speed above `maxSpeed` since the previous
/// fix, is flagged as a location anomaly (a spoofed or wrong fix, or a stolen terminal).
public struct Geofence: Sendable, Equatable {
    public enum Area: Sendable, Equatable {
        /// Centre and radius in metres.
        case circle(lat: Double, lon: Double, radiusM: Double)
        /// Vertices (lat, lon), in order; closed implicitly.
        case polygon([[Double]])
    }

    public var areas: [Area]
    /// Metres per second; nil = no speed check.
    public var maxSpeedMps: Double?

    public init(areas: [Area] = [], maxSpeedMps: Double? = nil) {
        self.areas = areas
        self.maxSpeedMps = maxSpeedMps
    }

    /// Great-circle distance (haversine, mean Earth radius), metres.
    public static func distanceM(_ a: (Double, Double), _ b: (Double, Double)) -> Double {
        let r = 6_371_008.8
        let rad = Double.pi / 180
        let dLat = (b.0 - a.0) * rad
        let dLon = (b.1 - a.1) * rad
        let h = sin(dLat / 2) * sin(dLat / 2) + cos(a.0 * rad) * cos(b.0 * rad) * sin(dLon / 2) * sin(dLon / 2)
        return 2 * r * asin(min(1, h.squareRoot()))
    }

    /// Ray casting in the (lon, lat) plane: fine for areas of a site's size away from the poles
    /// and the antimeridian.
    static func inside(_ p: (Double, Double), polygon v: [[Double]]) -> Bool {
        guard v.count >= 3 else { return false }
        var inside = false
        var j = v.count - 1
        for i in 0..<v.count {
            let (yi, xi, yj, xj) = (v[i][0], v[i][1], v[j][0], v[j][1])
            if (yi > p.0) != (yj > p.0), p.1 < (xj - xi) * (p.0 - yi) / (yj - yi) + xi { inside.toggle() }
            j = i
        }
        return inside
    }

    public func contains(lat: Double, lon: Double) -> Bool {
        areas.contains { area in
            switch area {
            case .circle(let cLat, let cLon, let r): return Self.distanceM((lat, lon), (cLat, cLon)) <= r
            case .polygon(let v): return Self.inside((lat, lon), polygon: v)
            }
        }
    }

    /// Anomalies of `loc` given the previous located event (position and monotonic time).
    public func anomalies(
        _ loc: Location,
        previous: (lat: Double, lon: Double, monotonicNanos: UInt64)?,
        nowNanos: UInt64
    ) -> [String] {
        guard loc.fix != .none else { return [] }
        var out: [String] = []
        if !areas.isEmpty && !contains(lat: loc.lat, lon: loc.lon) { out.append("outside_geofence") }
        if let max = maxSpeedMps, let p = previous, nowNanos > p.monotonicNanos {
            let seconds = Double(nowNanos - p.monotonicNanos) / 1e9
            let d = Self.distanceM((p.lat, p.lon), (loc.lat, loc.lon))
            // The fixes' own errors allow some apparent movement at rest.
            if (d - (loc.accuracyM ?? 0)) / seconds > max { out.append("implausible_speed") }
        }
        return out
    }
}
