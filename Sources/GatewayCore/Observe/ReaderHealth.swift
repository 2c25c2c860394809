/// One reader's health as the daemon last saw it: whether it floods, its last flood, the noise
/// it read (`FloodMonitor`). The daemon keeps every reader's in memory for the kiosk page and
/// heartbeats and writes them to its runtime directory (`readers.json`), where `--probe`, in
/// another process, reads them. Counts and times only, never what was read.
public struct ReaderHealth: Codable, Sendable, Equatable {
    public struct Flood: Codable, Sendable, Equatable {
        public var startedAt: String
        /// nil while it lasts.
        public var endedAt: String?
        /// Scans (noise included) in its busiest second, and in its latest.
        public var peakRate: Int
        public var lastRate: Int
        public var scans: Int
        public var noiseLines: Int

        enum CodingKeys: String, CodingKey {
            case scans
            case startedAt = "started_at"
            case endedAt = "ended_at"
            case peakRate = "peak_rate"
            case lastRate = "last_rate"
            case noiseLines = "noise_lines"
        }

        public init(
            startedAt: String,
            endedAt: String? = nil,
            peakRate: Int,
            lastRate: Int,
            scans: Int,
            noiseLines: Int
        ) {
            self.startedAt = startedAt
            self.endedAt = endedAt
            self.peakRate = peakRate
            self.lastRate = lastRate
            self.scans = scans
            self.noiseLines = noiseLines
        }
    }

    /// What a person is told about a reader that is not simply healthy.
    public struct Verdict: Sendable, Equatable {
        /// Worth a warning: it floods, or flooded or read noise within `recentNanos`.
        public var warn: Bool
        /// It read noise within `recentNanos`.
        public var noisy: Bool
        public var words: String

        public init(warn: Bool, noisy: Bool, words: String) {
            self.warn = warn
            self.noisy = noisy
            self.words = words
        }
    }

    /// How long after its last noise or flood a reader still counts as noisy.
    public static let recentNanos: Int64 = 600 * 1_000_000_000

    public var reader: String
    public var flooding: Bool
    /// Noise lines since the daemon started, and when the last was read.
    public var noiseLines: Int
    public var lastNoiseAt: String?
    /// Episodes since the daemon started; the current one while `flooding`, else the last.
    public var floods: Int
    public var lastFlood: Flood?

    enum CodingKeys: String, CodingKey {
        case reader, flooding, floods
        case noiseLines = "noise_lines"
        case lastNoiseAt = "last_noise_at"
        case lastFlood = "last_flood"
    }

    public init(reader: String) {
        self.reader = reader
        flooding = false
        noiseLines = 0
        floods = 0
    }

    /// nil for a reader that never flooded nor read noise.
    public func verdict(nowWallNanos: Int64, recentNanos: Int64 = Self.recentNanos) -> Verdict? {
        func recent(_ time: String?) -> Bool {
            guard let t = time.flatMap(RFC3339.parseUnixNanos) else { return false }
            return nowWallNanos - t <= recentNanos
        }
        var words: [String] = []
        var warn = flooding
        var noisy = false
        if let f = lastFlood {
            if flooding {
                words.append("flooding: \(f.lastRate) scans/s since \(f.startedAt) (peak \(f.peakRate)/s)")
            } else {
                words.append(
                    "flooded \(f.startedAt) to \(f.endedAt ?? "?") (peak \(f.peakRate) scans/s, \(f.noiseLines) noise lines)"
                )
                warn = warn || recent(f.endedAt)
            }
        }
        if noiseLines > 0 {
            noisy = recent(lastNoiseAt)
            warn = warn || noisy
            words.append(
                (noisy ? "noisy: " : "") + "\(noiseLines) noise lines, the last at \(lastNoiseAt ?? "?")"
            )
        }
        return words.isEmpty ? nil : Verdict(warn: warn, noisy: noisy, words: words.joined(separator: "; "))
    }
}
