extension Geofence {
    /// `[geofence]`: `max_speed_kmh` and its `[[geofence.area]]` polygons and circles.
    public static func parse(_ s: ConfigSection) throws(ConfigError) -> Geofence {
        var fence = Geofence()
        if let kmh = try s.double("max_speed_kmh") { fence.maxSpeedMps = kmh / 3.6 }
        for a in try s.tableArray("area") {
            fence.areas.append(try parseArea(a))
        }
        try s.finish()
        return fence
    }

    private static func parseArea(_ a: ConfigSection) throws(ConfigError) -> Area {
        let area: Area
        if let pts = try a.pairs("polygon") {
            guard pts.count >= 3 else {
                throw .invalid(
                    key: a.key("polygon"),
                    problem: "fewer than 3 points",
                    fix: "a polygon needs at least three [lat, lon] points"
                )
            }
            area = .polygon(pts)
        } else {
            guard let lat = try a.double("lat"), let lon = try a.double("lon"), let r = try a.double("radius_m"), r > 0
            else {
                throw .invalid(
                    key: a.key("lat"),
                    problem: "an area is neither a polygon nor a circle",
                    fix: "give polygon = [[lat, lon], ...] or lat, lon and radius_m"
                )
            }
            area = .circle(lat: lat, lon: lon, radiusM: r)
        }
        try a.finish()
        return area
    }
}
