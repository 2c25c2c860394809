/// Watches what one reader delivers for the two signs of a broken reader — noise (lines that
/// cannot be a label, `TextNoise`) and a flood (more scans a second than any person or RFID
/// portal makes) — and says what to do about them. Pure: the reader's committer feeds it each
/// scan with its time, ticks it when `deadlineNanos` comes, and carries out the actions
/// (`ScanCommitter`).
///
/// Noise is delivered, never dropped, but coalesced: the noise lines read within one second of
/// the first become one `noise` misread carrying their count and size (`Action.noise`), so the
/// server is told about the noise instead of being flooded with it. A genuine scan closes the
/// pending noise first, so events stay in the order things were read and every genuine scan is
/// still delivered on its own.
///
/// A flood is judged by whole seconds, counted from the reader's first scan: a second with more
/// than `rate` scans (noise included) is flooded; `seconds` flooded seconds in a row start an
/// episode, and as many seconds at or below the rate end it, so a reader hovering at the rate
/// does not start an episode every other second. One episode is one warning, however long.
public struct FloodMonitor: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Scans in one second above which that second is flooded.
        public var rate: Int
        /// Flooded seconds in a row that start an episode; calm seconds in a row that end it.
        public var seconds: Int

        public init(rate: Int, seconds: Int) {
            precondition(rate > 0 && seconds > 0)
            self.rate = rate
            self.seconds = seconds
        }
    }

    /// Noise lines to be delivered as one misread.
    public struct Noise: Sendable, Equatable {
        public var lines: Int
        public var bytes: Int
        /// When the first of them was read: the event's capture time.
        public var firstMonotonicNanos: UInt64
        public var firstWallNanos: Int64
        public var lastMonotonicNanos: UInt64

        /// The `misread.format` of a noise event.
        public static let format = "noise"

        /// What the event carries: the count and size, in the form docs/wire-format.md
        /// documents ("N lines, B bytes …"); never the noise itself.
        public var misread: Misread {
            Misread(
                format: Self.format,
                reason:
                    "\(lines) lines, \(bytes) bytes within 1 s that cannot be a label (not UTF-8, or control characters): the reader is misread or broken"
            )
        }
    }

    /// One flood, from the start of its first flooded second.
    public struct Episode: Sendable, Equatable {
        public var startMonotonicNanos: UInt64
        /// The end of its last flooded second, once over.
        public var endMonotonicNanos: UInt64?
        /// Scans (noise included) and noise lines in its flooded seconds.
        public var scans: Int
        public var noiseLines: Int
        /// The most scans in one of its seconds, and in the latest.
        public var peakRate: Int
        public var lastRate: Int
    }

    public enum Action: Sendable, Equatable {
        /// Deliver one `noise` misread standing for these lines.
        case noise(Noise)
        /// The reader floods: warn, once for the episode.
        case floodStarted(Episode)
        /// The flood is over (or the reader stopped during it).
        case floodEnded(Episode)
    }

    public static let secondNanos: UInt64 = 1_000_000_000

    public let settings: Settings
    /// The episode under way, nil when the reader does not flood.
    public private(set) var episode: Episode?
    /// The second being counted: its start, its scans and noise lines.
    private var windowStart: UInt64?
    private var windowScans = 0
    private var windowNoise = 0
    /// Flooded seconds in a row before an episode starts.
    private var hot = Streak()
    /// Calm seconds in a row during an episode, and when the first of them began.
    private var calmSeconds = 0
    private var calmSince: UInt64 = 0
    private var pending: Noise?

    private struct Streak {
        var seconds = 0
        var start: UInt64 = 0
        var scans = 0
        var noise = 0
        var peak = 0
    }

    public init(settings: Settings) {
        self.settings = settings
    }

    public var isFlooding: Bool { episode != nil }

    /// Noise lines waiting to be delivered.
    public var pendingNoise: Noise? { pending }

    /// When `tick` has something to do without further input: pending noise falls due, or a
    /// second closes that may start or end an episode. nil: nothing until the next scan.
    public var deadlineNanos: UInt64? {
        var d = pending.map { $0.firstMonotonicNanos &+ Self.secondNanos }
        if let s = windowStart, episode != nil || windowScans > settings.rate {
            d = min(d ?? .max, s &+ Self.secondNanos)
        }
        return d
    }

    /// A genuine scan: pending noise is delivered before it.
    public mutating func scan(monotonicNanos now: UInt64) -> [Action] {
        var actions = advance(to: now)
        if let p = pending {
            actions.append(.noise(p))
            pending = nil
        }
        windowScans += 1
        return actions
    }

    /// A noise line of `bytes` bytes, read at these times.
    public mutating func noise(bytes: Int, monotonicNanos now: UInt64, wallNanos: Int64) -> [Action] {
        let actions = advance(to: now)
        windowScans += 1
        windowNoise += 1
        if var p = pending {
            p.lines += 1
            p.bytes += bytes
            p.lastMonotonicNanos = max(p.lastMonotonicNanos, now)
            pending = p
        } else {
            pending = Noise(
                lines: 1,
                bytes: bytes,
                firstMonotonicNanos: now,
                firstWallNanos: wallNanos,
                lastMonotonicNanos: now
            )
        }
        return actions
    }

    /// Time passed without input: what fell due by `now`.
    public mutating func tick(monotonicNanos now: UInt64) -> [Action] {
        advance(to: now)
    }

    /// The reader stops (end of input, device gone, shutdown): pending noise is delivered and
    /// an episode under way ends now.
    public mutating func finish(monotonicNanos now: UInt64) -> [Action] {
        var actions = advance(to: now)
        if let p = pending {
            actions.append(.noise(p))
            pending = nil
        }
        if var e = episode {
            // The second under way is not judged (it is not over), but its scans were read
            // during the episode.
            if calmSeconds == 0 {
                e.scans += windowScans
                e.noiseLines += windowNoise
            }
            e.endMonotonicNanos = calmSeconds > 0 ? calmSince : max(now, e.startMonotonicNanos)
            actions.append(.floodEnded(e))
        }
        self = FloodMonitor(settings: settings)
        return actions
    }

    /// Delivers noise that fell due and closes the seconds that ended by `now`.
    private mutating func advance(to now: UInt64) -> [Action] {
        var actions: [Action] = []
        if let p = pending, now >= p.firstMonotonicNanos &+ Self.secondNanos {
            actions.append(.noise(p))
            pending = nil
        }
        guard var start = windowStart else {
            windowStart = now
            return actions
        }
        while now >= start &+ Self.secondNanos {
            actions += close(windowEndingAt: start &+ Self.secondNanos)
            start &+= Self.secondNanos
            // The seconds after it, up to now, had no scans: calm, all at once.
            let empty = (now - start) / Self.secondNanos
            if empty > 0 {
                actions += calm(seconds: Int(empty), since: start)
                start &+= empty * Self.secondNanos
            }
        }
        windowStart = start
        return actions
    }

    /// Judges the second that ends at `end` and starts counting the next.
    private mutating func close(windowEndingAt end: UInt64) -> [Action] {
        let (scans, noise) = (windowScans, windowNoise)
        windowScans = 0
        windowNoise = 0
        guard scans > settings.rate else {
            hot = Streak()
            return calm(seconds: 1, since: end &- Self.secondNanos)
        }
        calmSeconds = 0
        if var e = episode {
            e.scans += scans
            e.noiseLines += noise
            e.peakRate = max(e.peakRate, scans)
            e.lastRate = scans
            episode = e
            return []
        }
        if hot.seconds == 0 { hot.start = end &- Self.secondNanos }
        hot.seconds += 1
        hot.scans += scans
        hot.noise += noise
        hot.peak = max(hot.peak, scans)
        guard hot.seconds >= settings.seconds else { return [] }
        let e = Episode(
            startMonotonicNanos: hot.start,
            endMonotonicNanos: nil,
            scans: hot.scans,
            noiseLines: hot.noise,
            peakRate: hot.peak,
            lastRate: scans
        )
        episode = e
        hot = Streak()
        return [.floodStarted(e)]
    }

    /// `seconds` calm seconds from `since`: they end an episode once there are enough in a row.
    private mutating func calm(seconds: Int, since: UInt64) -> [Action] {
        hot = Streak()
        guard var e = episode else { return [] }
        if calmSeconds == 0 { calmSince = since }
        calmSeconds += seconds
        guard calmSeconds >= settings.seconds else { return [] }
        e.endMonotonicNanos = calmSince
        episode = nil
        calmSeconds = 0
        return [.floodEnded(e)]
    }
}
