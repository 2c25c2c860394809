/// A terminal's last 24 hours as an SVG chart: its scans per hour as bars and its spool depth
/// (from its heartbeats) as a line, each on its own scale, the newest hour on the right. Pure:
/// the events in, markup out (`TerminalActivity` counts them).
public enum TerminalChart {
    /// The words in the chart, from the catalogue; `{n}` is the scale's top value.
    public struct Words: Sendable {
        public var title: String
        public var scansMax: String
        public var spoolMax: String

        public init(title: String, scansMax: String, spoolMax: String) {
            self.title = title
            self.scansMax = scansMax
            self.spoolMax = spoolMax
        }
    }

    static let width = 360.0
    static let height = 96.0
    static let top = 16.0
    static let bottom = 4.0

    public static func render(_ activity: TerminalActivity, words: Words) -> String {
        let hours = activity.scansPerHour.count
        let plot = height - top - bottom
        // The scales' tops: the highest value, written as it is; at least 1 to divide by.
        let (topScans, topSpool) = (activity.scansPerHour.max() ?? 0, activity.spool.map(\.depth).max() ?? 0)
        let (maxScans, maxSpool) = (max(1, topScans), max(1, topSpool))
        let slot = width / Double(max(1, hours))
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" class="terminal-chart" viewBox="0 0 \(Int(width)) \(Int(height))" \
            role="img" aria-label="\(SVGText.escape(words.title))"><title>\(SVGText.escape(words.title))</title>\
            <line class="axis" x1="0" y1="\(SVGText.n(height - bottom))" x2="\(Int(width))" y2="\(SVGText.n(height - bottom))"/>
            """
        for (i, n) in activity.scansPerHour.enumerated() where n > 0 {
            let h = plot * Double(n) / Double(maxScans)
            svg +=
                #"<rect class="scans" x="\#(SVGText.n(Double(i) * slot + 1))" y="\#(SVGText.n(height - bottom - h))" width="\#(SVGText.n(slot - 2))" height="\#(SVGText.n(h))"/>"#
        }
        if !activity.spool.isEmpty {
            let pts = activity.spool.map { s in
                "\(SVGText.n(s.at * width)),\(SVGText.n(height - bottom - plot * Double(s.depth) / Double(maxSpool)))"
            }
            svg += #"<polyline class="spool" points="\#(pts.joined(separator: " "))"/>"#
        }
        svg += """
            <text class="scans-max" x="2" y="11">\(SVGText.escape(words.scansMax.replacingOccurrences(of: "{n}", with: String(topScans))))</text>\
            <text class="spool-max" x="\(Int(width) - 2)" y="11" text-anchor="end">\
            \(SVGText.escape(words.spoolMax.replacingOccurrences(of: "{n}", with: String(topSpool))))</text></svg>
            """
        return svg
    }
}
