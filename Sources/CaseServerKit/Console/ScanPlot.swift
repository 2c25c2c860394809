import Foundation
import GatewayCore

/// Where a case's scans were made relative to its site's geofence, as an SVG drawing (no map
/// tiles: nothing is fetched from outside). Pure: positions in, markup out. Latitude and
/// longitude become metres east and north of the drawing's centre (an equirectangular
/// projection, exact enough at a site's scale), drawn north up at one scale for both axes.
public enum ScanPlot {
    public struct Point: Sendable, Equatable {
        public var lat: Double
        public var lon: Double
        /// The fix's horizontal error, drawn as a ring.
        public var accuracyM: Double?
        /// Flagged by the terminal (outside the geofence, implausible speed).
        public var anomalous: Bool
        /// The scan's number in the case's timeline.
        public var label: String

        public init(lat: Double, lon: Double, accuracyM: Double? = nil, anomalous: Bool = false, label: String) {
            self.lat = lat
            self.lon = lon
            self.accuracyM = accuracyM
            self.anomalous = anomalous
            self.label = label
        }
    }

    /// The words in the drawing, from the catalogue.
    public struct Words: Sendable {
        /// Its accessible name.
        public var title: String
        /// The scale bar's label, with `{m}` for its length in metres.
        public var scale: String

        public init(title: String, scale: String) {
            self.title = title
            self.scale = scale
        }
    }

    static let width = 480.0
    static let height = 320.0
    static let margin = 24.0
    static let earthRadiusM = 6_371_008.8

    /// Metres east and north of (`lat0`, `lon0`).
    static func local(_ lat: Double, _ lon: Double, lat0: Double, lon0: Double) -> (x: Double, y: Double) {
        let rad = Double.pi / 180
        return ((lon - lon0) * rad * cos(lat0 * rad) * earthRadiusM, (lat - lat0) * rad * earthRadiusM)
    }

    /// The drawing; nil when there is nothing to place (no area and no located scan).
    public static func render(areas: [Geofence.Area], points: [Point], words: Words) -> String? {
        var coords: [(Double, Double)] = points.map { ($0.lat, $0.lon) }
        for a in areas {
            switch a {
            case .circle(let lat, let lon, _): coords.append((lat, lon))
            case .polygon(let v): coords += v.compactMap { $0.count >= 2 ? ($0[0], $0[1]) : nil }
            }
        }
        guard !coords.isEmpty else { return nil }
        let lat0 = (coords.map(\.0).min()! + coords.map(\.0).max()!) / 2
        let lon0 = (coords.map(\.1).min()! + coords.map(\.1).max()!) / 2
        func at(_ lat: Double, _ lon: Double) -> (x: Double, y: Double) { local(lat, lon, lat0: lat0, lon0: lon0) }

        // The extent in metres: every vertex, circle and point with its ring.
        var (minX, maxX, minY, maxY) = (-10.0, 10.0, -10.0, 10.0)
        func include(_ p: (x: Double, y: Double), _ r: Double = 0) {
            minX = min(minX, p.x - r)
            maxX = max(maxX, p.x + r)
            minY = min(minY, p.y - r)
            maxY = max(maxY, p.y + r)
        }
        for a in areas {
            switch a {
            case .circle(let lat, let lon, let r): include(at(lat, lon), r)
            case .polygon(let v): for p in v where p.count >= 2 { include(at(p[0], p[1])) }
            }
        }
        for p in points { include(at(p.lat, p.lon), min(p.accuracyM ?? 0, 5_000)) }
        let scale = min((width - 2 * margin) / (maxX - minX), (height - 2 * margin) / (maxY - minY))
        let cx = (minX + maxX) / 2
        let cy = (minY + maxY) / 2
        func sx(_ x: Double) -> String { SVGText.n(width / 2 + (x - cx) * scale) }
        func sy(_ y: Double) -> String { SVGText.n(height / 2 - (y - cy) * scale) }

        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" class="scan-plot" viewBox="0 0 \(Int(width)) \(Int(height))" \
            role="img" aria-label="\(SVGText.escape(words.title))"><title>\(SVGText.escape(words.title))</title>\
            <rect class="ground" x="0" y="0" width="\(Int(width))" height="\(Int(height))"/>
            """
        for a in areas {
            switch a {
            case .circle(let lat, let lon, let r):
                let c = at(lat, lon)
                svg += #"<circle class="area" cx="\#(sx(c.x))" cy="\#(sy(c.y))" r="\#(SVGText.n(r * scale))"/>"#
            case .polygon(let v):
                let pts = v.filter { $0.count >= 2 }.map { p -> String in
                    let m = at(p[0], p[1])
                    return "\(sx(m.x)),\(sy(m.y))"
                }
                svg += #"<polygon class="area" points="\#(pts.joined(separator: " "))"/>"#
            }
        }
        // Scans made at one spot (a coarsened fix, a terminal that stayed put) are one mark
        // with their numbers together.
        var spots: [Point] = []
        for p in points {
            if let i = spots.firstIndex(where: { $0.lat == p.lat && $0.lon == p.lon }) {
                spots[i].label += ", " + p.label
                spots[i].anomalous = spots[i].anomalous || p.anomalous
                spots[i].accuracyM = max(spots[i].accuracyM ?? 0, p.accuracyM ?? 0)
            } else {
                spots.append(p)
            }
        }
        for p in spots {
            let m = at(p.lat, p.lon)
            let cls = p.anomalous ? "scan anomalous" : "scan"
            if let acc = p.accuracyM, acc > 0 {
                svg +=
                    #"<circle class="accuracy" cx="\#(sx(m.x))" cy="\#(sy(m.y))" r="\#(SVGText.n(min(acc, 5_000) * scale))"/>"#
            }
            svg += #"<circle class="\#(cls)" cx="\#(sx(m.x))" cy="\#(sy(m.y))" r="5"/>"#
            svg +=
                #"<text class="scan-label" x="\#(sx(m.x))" y="\#(sy(m.y))" dx="7" dy="-7">\#(SVGText.escape(p.label))</text>"#
        }
        // A scale bar of a round length near a fifth of the width.
        let bar = roundLength((maxX - minX) / 5)
        let barPx = bar * scale
        svg += """
            <g class="scale"><line x1="\(SVGText.n(margin))" y1="\(SVGText.n(height - 10))" \
            x2="\(SVGText.n(margin + barPx))" y2="\(SVGText.n(height - 10))"/>\
            <text x="\(SVGText.n(margin))" y="\(SVGText.n(height - 14))">\
            \(SVGText.escape(words.scale.replacingOccurrences(of: "{m}", with: SVGText.n(bar))))</text></g></svg>
            """
        return svg
    }

    /// 1, 2 or 5 times a power of ten, at most `m` (at least 1).
    static func roundLength(_ m: Double) -> Double {
        guard m > 1 else { return 1 }
        let p = pow(10, floor(log10(m)))
        for f in [5.0, 2.0, 1.0] where f * p <= m { return f * p }
        return p
    }
}
