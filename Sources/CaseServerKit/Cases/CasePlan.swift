import GatewayCore

/// What the store is to do for one stored event, as `CaseRules` decided it: record a guidance
/// link or not, and file the event under a case (the one it was filed under, the object's open
/// one, or a new one). A store only translates it into its statements.
public struct CasePlan: Sendable, Equatable {
    /// A link to record for the event's type (insert, or replace a stale one).
    public var link: GuidanceLink?
    /// The guidance the answer carries.
    public var guidance: Guidance?
    /// nil: the event concerns no case (a heartbeat, or a tag that names no object).
    public var action: Action?

    public init(link: GuidanceLink? = nil, guidance: Guidance? = nil, action: Action? = nil) {
        self.link = link
        self.guidance = guidance
        self.action = action
    }

    public enum Action: Sendable, Equatable {
        /// A duplicate: answer with the case it was filed under, as it is now.
        case answerFiled(ref: String)
        /// File the event under the object's open case, with a note when there is one.
        case join(OpenCase, note: Note?)
        /// Open a case and file the event under it.
        case open(NewCase)
    }

    /// A line of a case's history.
    public struct Note: Sendable, Equatable {
        public var state: String
        public var text: String
        public var insurer: String?

        public init(state: String, text: String, insurer: String? = nil) {
            self.state = state
            self.text = text
            self.insurer = insurer
        }
    }

    /// A case to open; the store draws its reference (`CaseReference.draw`).
    public struct NewCase: Sendable, Equatable {
        public var subject: String
        public var schema: String
        public var device: String
        public var state: String
        public var guidanceID: String?
        /// Each recorded as `notified`, in the policy's order.
        public var insurers: [CasePolicy.Insurer]
        /// In the order they are written.
        public var notes: [Note]

        /// What the answer carries once the case is stored under `ref`: what a read-back would
        /// give, without reading it back.
        public func answer(ref: String, nowNanos: Int64) -> CaseInfo {
            let at = RFC3339.format(unixNanos: nowNanos)
            let told = insurers.map {
                InsurerStatus(id: $0.id, name: $0.name, state: "notified", updatedAt: at, note: nil)
            }
            return CaseInfo(ref: ref, state: state, opened: true, insurers: told)
        }
    }
}
