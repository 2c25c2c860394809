/// The console's people and sessions, kept in the case store so that every server instance on
/// one database signs in the same accounts, ends the same sessions and writes one audit log.
/// What the console's routes and `case-server users` need of it, and no more; `SQLiteCaseStore`
/// and `PostgresCaseStore` conform (migration "console-accounts").
///
/// What must happen once is one conditional statement the database decides (a failed sign-in
/// counts and locks in one UPDATE, disabling an account ends its sessions in the same
/// transaction), so two instances cannot both let a tenth wrong password through.
public protocol ConsoleDirectory: Sendable {
    /// Creates an account. - Throws: `ConsoleDirectoryError.nameTaken`, `.invalidName`.
    func addAccount(_ account: ConsoleAccount, nowNanos: Int64) async throws

    /// The account named `name`, nil when there is none.
    func account(named name: String) async throws -> ConsoleAccount?

    /// Every account, by name.
    func accounts() async throws -> [ConsoleAccount]

    /// Sets a new password hash, clears the failure count and lock, and ends the account's
    /// sessions (whoever knew the old password is signed out). - Throws: `.noSuchAccount`.
    func setPasswordHash(_ hash: String, for name: String, nowNanos: Int64) async throws

    /// Disables the account and ends its sessions at once. - Throws: `.noSuchAccount`.
    func disableAccount(_ name: String, nowNanos: Int64) async throws

    /// Counts a wrong password for `name` (an existing account) in one statement: at the
    /// `lock.maxFailures`-th in a row the account is locked until `nowNanos + lock.lockNanos`
    /// and the count starts again. - Returns: the lock's end when this failure set it, else nil.
    func recordLoginFailure(_ name: String, lock: ConsoleLockPolicy, nowNanos: Int64) async throws -> Int64?

    /// A right password: the failure count goes back to 0.
    func recordLoginSuccess(_ name: String, nowNanos: Int64) async throws

    /// Counts a failed sign-in from a client address (kept as a hash) and forgets those older
    /// than `windowNanos`. - Returns: the address's failures within the window, this one included.
    func recordAddressFailure(_ addressHash: String, windowNanos: Int64, nowNanos: Int64) async throws -> Int

    /// The address's failed sign-ins within the last `windowNanos`.
    func addressFailures(_ addressHash: String, windowNanos: Int64, nowNanos: Int64) async throws -> Int

    /// Stores a new session (its id is the SHA-256 of the cookie's secret, never the secret),
    /// and forgets sessions unused for `ConsoleSessionRecord.keptNanos` (ended or not: none
    /// of them can be live, the idle timeout is far shorter).
    func createSession(_ session: ConsoleSessionRecord) async throws

    /// The session with `id` and its account, ended or not; nil when there is none.
    func session(id: String) async throws -> (session: ConsoleSessionRecord, account: ConsoleAccount)?

    /// Moves the session's last-seen time forward (its idle timeout starts again).
    func touchSession(id: String, nowNanos: Int64) async throws

    /// Ends a session (`reason`: logout, idle, disabled, password); ending it again changes nothing.
    func endSession(id: String, reason: String, nowNanos: Int64) async throws

    /// Appends to the audit log.
    func appendAudit(_ entry: ConsoleAuditEntry) async throws

    /// The newest `limit` audit entries, newest first, older than `beforeID` when given.
    func auditLog(limit: Int, beforeID: Int64?) async throws -> [ConsoleAuditEntry]
}

/// A console account as stored. `passwordHash` is bcrypt's (never the password).
public struct ConsoleAccount: Sendable, Equatable {
    public var name: String
    public var passwordHash: String
    public var role: ConsoleRole
    public var sites: [String]
    public var insurer: String?
    public var language: String
    /// An IANA time zone identifier (`Asia/Shanghai`).
    public var timeZone: String
    public var disabled: Bool
    /// Wrong passwords in a row since the last sign-in or lock.
    public var failedLogins: Int
    public var lockedUntilNanos: Int64?
    public var createdAtNanos: Int64

    public init(
        name: String,
        passwordHash: String,
        role: ConsoleRole,
        sites: [String] = [],
        insurer: String? = nil,
        language: String = "en",
        timeZone: String = "UTC",
        disabled: Bool = false,
        failedLogins: Int = 0,
        lockedUntilNanos: Int64? = nil,
        createdAtNanos: Int64 = 0
    ) {
        self.name = name
        self.passwordHash = passwordHash
        self.role = role
        self.sites = sites
        self.insurer = insurer
        self.language = language
        self.timeZone = timeZone
        self.disabled = disabled
        self.failedLogins = failedLogins
        self.lockedUntilNanos = lockedUntilNanos
        self.createdAtNanos = createdAtNanos
    }

    /// Whether a sign-in is refused at `nowNanos` whatever the password.
    public func isLocked(nowNanos: Int64) -> Bool { (lockedUntilNanos ?? .min) > nowNanos }

    /// Account names: what `GatewayConfig.isValidID` allows (letters, digits, '.', '_', '-'),
    /// 64 characters at most, so a name is safe in a URL path and a log line.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy {
                $0.isASCII
                    && (($0.properties.isAlphabetic) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0))
            }
    }
}

/// When wrong passwords lock an account.
public struct ConsoleLockPolicy: Sendable, Equatable {
    public var maxFailures: Int
    public var lockNanos: Int64

    public init(maxFailures: Int = 10, lockNanos: Int64 = 15 * 60 * 1_000_000_000) {
        self.maxFailures = maxFailures
        self.lockNanos = lockNanos
    }
}

/// A console session as stored.
public struct ConsoleSessionRecord: Sendable, Equatable {
    /// How long a session's row is kept after it was last used: 30 days.
    public static let keptNanos: Int64 = 30 * 24 * 3600 * 1_000_000_000

    /// SHA-256 (hex) of the secret the cookie holds.
    public var id: String
    public var account: String
    public var csrfToken: String
    public var createdAtNanos: Int64
    public var lastSeenNanos: Int64
    public var endedAtNanos: Int64?
    public var endReason: String?

    public init(
        id: String,
        account: String,
        csrfToken: String,
        createdAtNanos: Int64,
        lastSeenNanos: Int64,
        endedAtNanos: Int64? = nil,
        endReason: String? = nil
    ) {
        self.id = id
        self.account = account
        self.csrfToken = csrfToken
        self.createdAtNanos = createdAtNanos
        self.lastSeenNanos = lastSeenNanos
        self.endedAtNanos = endedAtNanos
        self.endReason = endReason
    }
}

/// One line of the audit log: who did what to which object, when. `detail` never holds a
/// password, cookie or token.
public struct ConsoleAuditEntry: Sendable, Equatable {
    /// Assigned by the store; 0 before it is appended.
    public var id: Int64
    public var atNanos: Int64
    /// An account name, "cli" for `case-server users`, "-" for someone not signed in.
    public var actor: String
    /// What happened: `login`, `login-failed`, `account-locked`, `logout`, `user-add`, …
    public var action: String
    /// What it happened to: an account name, a case reference, a device id; "" when nothing.
    public var object: String
    public var detail: String

    public init(id: Int64 = 0, atNanos: Int64, actor: String, action: String, object: String, detail: String = "") {
        self.id = id
        self.atNanos = atNanos
        self.actor = actor
        self.action = action
        self.object = object
        self.detail = detail
    }
}

/// Why a `ConsoleDirectory` change was refused, worded for whoever runs `case-server users`.
public enum ConsoleDirectoryError: Error, Equatable, CustomStringConvertible {
    case invalidName(String)
    case nameTaken(String)
    case noSuchAccount(String)

    public var description: String {
        switch self {
        case .invalidName(let n):
            return "'\(n)' is not an account name: use letters, digits, '.', '_' and '-' (at most 64)"
        case .nameTaken(let n):
            return
                "an account named \(n) exists already: choose another name, or reset its password (users passwd \(n))"
        case .noSuchAccount(let n):
            return "there is no account named \(n) (case-server users list shows them)"
        }
    }
}
