import CGPS
import GatewayCore

/// What one libgps read brought, mapped from `struct gps_data_t` to plain values: a fix (a TPV),
/// the satellites in use (a SKY), gpsd's release (VERSION) or its devices (DEVICES). Pure, so
/// tests build a `gps_data_t` and map it without gpsd.
///
/// On the socket the `set` mask says which of these the message carried (the reader clears it
/// before each read); LATLON_SET gates the position and PACKET_SET a complete message. gpsd's
/// shared-memory export carries its whole state at once with a `set` mask that lacks MODE_SET,
/// PACKET_SET and LATLON_SET: there every snapshot is a fix, read from `fix.mode` and the
/// fields that hold finite numbers.
struct GPSDReport: Equatable {
    var fix: GPSFix?
    var satellitesUsed: Int?
    var release: String?
    var devices: [String]?

    var isEmpty: Bool { fix == nil && satellitesUsed == nil && release == nil && devices == nil }

    init(fix: GPSFix? = nil, satellitesUsed: Int? = nil, release: String? = nil, devices: [String]? = nil) {
        self.fix = fix
        self.satellitesUsed = satellitesUsed
        self.release = release
        self.devices = devices
    }

    init(_ data: UnsafePointer<gps_data_t>, sharedMemory: Bool) {
        let set = data.pointee.set
        if sharedMemory {
            fix = Self.fix(data.pointee.fix, positioned: true)
            satellitesUsed = Int(data.pointee.satellites_used)
            return
        }
        guard set & PACKET_SET != 0 else { return }
        if set & MODE_SET != 0 { fix = Self.fix(data.pointee.fix, positioned: set & LATLON_SET != 0) }
        if set & SATELLITE_SET != 0 { satellitesUsed = Int(data.pointee.satellites_used) }
        if set & VERSION_SET != 0 {
            release = withUnsafeBytes(of: data.pointee.version.release) { Self.string($0) }
        }
        if set & DEVICELIST_SET != 0 {
            let devices = data.pointee.devices
            let n = max(0, min(Int(devices.ndevices), Int(MAXUSERDEVS)))
            self.devices = withUnsafeBytes(of: devices.list) { raw in
                (0..<n).map { i in
                    let base = i * MemoryLayout<devconfig_t>.stride
                    let path = raw[base..<(base + MemoryLayout<devconfig_t>.stride)]
                    return Self.string(UnsafeRawBufferPointer(rebasing: path.prefix(Int(GPS_PATH_MAX))))
                }
            }
        }
    }

    /// gps_fix_t's fields as a `GPSFix`: NaN (libgps's "not reported") becomes nil, a zero time
    /// (no RMC yet) none at all.
    static func fix(_ f: gps_fix_t, positioned: Bool) -> GPSFix {
        func finite(_ v: Double) -> Double? { v.isFinite ? v : nil }
        var eph = finite(f.eph)
        if eph == nil, let x = finite(f.epx), let y = finite(f.epy) { eph = (x * x + y * y).squareRoot() }
        let time: Int64? =
            f.time.tv_sec > 0 ? Int64(f.time.tv_sec) * 1_000_000_000 + Int64(f.time.tv_nsec) : nil
        return GPSFix(
            mode: Int(f.mode),
            timeUnixNanos: time,
            lat: positioned ? finite(f.latitude) : nil,
            lon: positioned ? finite(f.longitude) : nil,
            alt: finite(f.altMSL),
            eph: eph,
            epv: finite(f.epv)
        )
    }

    /// A NUL-terminated C string inside a fixed-size char array.
    private static func string(_ raw: UnsafeRawBufferPointer) -> String {
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
}
