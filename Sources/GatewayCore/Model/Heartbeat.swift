/// A terminal's periodic status report, sealed and delivered like a scan (through the same
/// spool and forwarder), so the case server can flag a terminal whose heartbeats stop as
/// overdue. Carried in a capture event with `kind = "heartbeat"`.
public struct Heartbeat: Codable, Sendable, Equatable {
    public var spoolDepth: Int
    public var oldestAgeS: Int?
    public var deadLetters: Int
    public var readers: [String]
    /// `3d`, `2d`, `none`, or nil without gpsd.
    public var fix: String?
    public var version: String
    public var uptimeS: Int
    /// Seconds until the next heartbeat is due (the server's overdue threshold starts here).
    public var intervalS: Int

    enum CodingKeys: String, CodingKey {
        case readers, fix, version
        case spoolDepth = "spool_depth"
        case oldestAgeS = "oldest_age_s"
        case deadLetters = "dead_letters"
        case uptimeS = "uptime_s"
        case intervalS = "interval_s"
    }

    public init(
        spoolDepth: Int,
        oldestAgeS: Int?,
        deadLetters: Int,
        readers: [String],
        fix: String?,
        version: String,
        uptimeS: Int,
        intervalS: Int
    ) {
        self.spoolDepth = spoolDepth
        self.oldestAgeS = oldestAgeS
        self.deadLetters = deadLetters
        self.readers = readers
        self.fix = fix
        self.version = version
        self.uptimeS = uptimeS
        self.intervalS = intervalS
    }
}
