/// A signed-in console session, as the session middleware found it for a request: who, and the
/// token every form of this session must send back (`_csrf`).
public struct ConsoleSession: Sendable, Equatable {
    /// The session's id as stored (the cookie holds a secret whose hash this is).
    public var id: String
    public var user: ConsoleUser
    public var csrfToken: String

    public init(id: String, user: ConsoleUser, csrfToken: String) {
        self.id = id
        self.user = user
        self.csrfToken = csrfToken
    }
}
