/// One position report from gpsd, the parts gatewayd uses, as plain values: the libgps edge
/// (GatewayLinux's `LibGPS`) fills it from `struct gps_data_t`, and `FixPolicy` decides from it
/// whether an event gets a location. No field is trusted here: the policy checks each.
public struct GPSFix: Sendable, Equatable {
    /// gpsd's mode: 0 unknown, 1 no fix, 2 two-dimensional, 3 three-dimensional.
    public var mode: Int
    /// The fix's time (GPS time, UTC), nanoseconds since the Unix epoch; nil when gpsd has none
    /// yet (before a receiver's first RMC the time can be missing while a position is not).
    public var timeUnixNanos: Int64?
    public var lat: Double?
    public var lon: Double?
    /// Metres above mean sea level.
    public var alt: Double?
    /// Horizontal and vertical error estimates, metres (95%).
    public var eph: Double?
    public var epv: Double?

    public init(
        mode: Int,
        timeUnixNanos: Int64? = nil,
        lat: Double? = nil,
        lon: Double? = nil,
        alt: Double? = nil,
        eph: Double? = nil,
        epv: Double? = nil
    ) {
        self.mode = mode
        self.timeUnixNanos = timeUnixNanos
        self.lat = lat
        self.lon = lon
        self.alt = alt
        self.eph = eph
        self.epv = epv
    }
}
