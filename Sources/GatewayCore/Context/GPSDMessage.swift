import Foundation

/// One line of gpsd's JSON watch protocol (gpsd_json(5)), the parts gatewayd uses. Pure: the
/// client feeds it the lines it reads from gpsd's socket; anything unknown or malformed is
/// `.other`, never a crash (gpsd is a device-input path: it is fuzzed like the readers).
public enum GPSDMessage: Sendable, Equatable {
    /// Time-position-velocity report.
    case tpv(TPV)
    /// Satellites in view and in use.
    case sky(satellitesUsed: Int)
    case version(release: String)
    /// Devices gpsd currently watches (paths).
    case devices([String])
    case other

    public struct TPV: Sendable, Equatable {
        /// gpsd's mode: 0 unknown, 1 no fix, 2 two-dimensional, 3 three-dimensional.
        public var mode: Int
        /// The fix's time (GPS time, UTC), RFC 3339.
        public var time: String?
        public var lat: Double?
        public var lon: Double?
        /// Metres above mean sea level (`altMSL`, or the older `alt`).
        public var alt: Double?
        /// Horizontal and vertical error estimates, metres (95%).
        public var eph: Double?
        public var epv: Double?
        public var device: String?

        public init(
            mode: Int,
            time: String? = nil,
            lat: Double? = nil,
            lon: Double? = nil,
            alt: Double? = nil,
            eph: Double? = nil,
            epv: Double? = nil,
            device: String? = nil
        ) {
            self.mode = mode
            self.time = time
            self.lat = lat
            self.lon = lon
            self.alt = alt
            self.eph = eph
            self.epv = epv
            self.device = device
        }
    }

    public static func parse(_ line: some Collection<UInt8>) -> GPSDMessage {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
            let cls = obj["class"] as? String
        else { return .other }
        func num(_ k: String) -> Double? {
            guard let v = obj[k] as? NSNumber, !(v is Bool) else { return nil }
            let d = v.doubleValue
            return d.isFinite ? d : nil
        }
        switch cls {
        case "TPV":
            var eph = num("eph")
            if eph == nil, let x = num("epx"), let y = num("epy") { eph = (x * x + y * y).squareRoot() }
            return .tpv(
                TPV(
                    mode: Int(num("mode") ?? 0),
                    time: obj["time"] as? String,
                    lat: num("lat"),
                    lon: num("lon"),
                    alt: num("altMSL") ?? num("alt"),
                    eph: eph,
                    epv: num("epv"),
                    device: obj["device"] as? String
                )
            )
        case "SKY":
            if let u = num("uSat") { return .sky(satellitesUsed: Int(u)) }
            if let sats = obj["satellites"] as? [[String: Any]] {
                return .sky(satellitesUsed: sats.filter { ($0["used"] as? Bool) == true }.count)
            }
            return .other
        case "VERSION":
            return .version(release: obj["release"] as? String ?? "?")
        case "DEVICES":
            let devices = (obj["devices"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
            return .devices(devices)
        default:
            return .other
        }
    }
}
