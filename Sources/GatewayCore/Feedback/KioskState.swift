/// What the kiosk page shows, as one JSON document (`GET /api/state`, and each server-sent
/// `state` event). Built from `RecentScans` and the terminal's live state; everything in it is
/// what redaction leaves — the subject, operator and location as they were or would be sealed.
public struct KioskState: Codable, Sendable, Equatable {
    public struct OperatorView: Codable, Sendable, Equatable {
        /// Whether this terminal tracks operator sessions at all (`[operator]`).
        public var tracked: Bool
        public var signedIn: Bool
        /// The operator's pseudonym, as events carry it.
        public var id: String?
        public var expiresInS: Int?

        enum CodingKeys: String, CodingKey {
            case tracked, id
            case signedIn = "signed_in"
            case expiresInS = "expires_in_s"
        }

        public init(tracked: Bool, signedIn: Bool, id: String? = nil, expiresInS: Int? = nil) {
            self.tracked = tracked
            self.signedIn = signedIn
            self.id = id
            self.expiresInS = expiresInS
        }
    }

    public struct SpoolView: Codable, Sendable, Equatable {
        public var depth: Int
        public var deadLetters: Int
        /// The forwarder's circuit: closed (delivering), open (waiting to retry), half_open.
        public var circuit: String

        enum CodingKeys: String, CodingKey {
            case depth, circuit
            case deadLetters = "dead_letters"
        }

        public init(depth: Int, deadLetters: Int, circuit: String) {
            self.depth = depth
            self.deadLetters = deadLetters
            self.circuit = circuit
        }
    }

    /// A reply the person gave on this terminal since it started (kept in memory only): the page
    /// shows the message as answered at once, while the reply waits in the spool or travels.
    public struct ReplyView: Codable, Sendable, Equatable {
        public var message: String
        public var ref: String
        /// As it was sealed (after the redaction rules).
        public var answer: String
        public var at: String

        enum CodingKeys: String, CodingKey {
            case message, answer, at
            case ref = "case"
        }

        public init(message: String, ref: String, answer: String, at: String) {
            self.message = message
            self.ref = ref
            self.answer = answer
            self.at = at
        }
    }

    public var device: String
    public var version: String
    public var now: String
    public var scans: [ScanRecord]
    /// The followed cases, newest scan's first.
    public var cases: [CaseStatus]
    public var `operator`: OperatorView
    /// As redaction would leave it (coarsened); nil without gpsd.
    public var location: Location?
    public var readers: [String]
    public var spool: SpoolView
    /// Replies given here, oldest first.
    public var replies: [ReplyView]

    public init(
        device: String,
        version: String,
        now: String,
        scans: [ScanRecord],
        cases: [CaseStatus],
        operator: OperatorView,
        location: Location?,
        readers: [String],
        spool: SpoolView,
        replies: [ReplyView] = []
    ) {
        self.device = device
        self.version = version
        self.now = now
        self.scans = scans
        self.cases = cases
        self.operator = `operator`
        self.location = location
        self.readers = readers
        self.spool = spool
        self.replies = replies
    }

    /// The followed cases as the page lists them: in the order of the newest scan of each; a
    /// case the server has not been asked about yet shows what the answer said of it.
    public static func cases(of recent: RecentScans) -> [CaseStatus] {
        var seen: Set<String> = []
        var out: [CaseStatus] = []
        for s in recent.scans {
            guard let ref = s.caseRef, !seen.contains(ref), let c = recent.cases[ref] else { continue }
            seen.insert(ref)
            out.append(
                c.status
                    ?? CaseStatus(
                        ref: ref,
                        state: c.info.state,
                        final: false,
                        subject: s.subject,
                        schema: s.schema,
                        openedAt: s.capturedAt,
                        updatedAt: s.capturedAt,
                        guidance: s.guidance,
                        insurers: c.info.insurers,
                        notes: []
                    )
            )
        }
        return out
    }
}
