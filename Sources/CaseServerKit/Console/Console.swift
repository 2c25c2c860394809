import Crypto
import Foundation
import GatewayCore
import HummingbirdBcrypt
import Logging

/// The console's shared parts, handed to every console route: where accounts and sessions are
/// kept, the policy (sites, insurers), the settings, the clock and the log. Signing in and
/// resolving a session's cookie live here, apart from HTTP, so their rules are tested directly.
public struct Console: Sendable {
    public let directory: any ConsoleDirectory
    public let policy: CasePolicy
    public let settings: ConsoleSettings
    /// Wall-clock nanoseconds (tests move it to pass an idle timeout or a lock).
    public let clock: @Sendable () -> Int64
    public let logger: Logger
    /// Checked against when there is no account to check (unknown, disabled or locked), so a
    /// refusal takes as long as a wrong password's and timing does not tell which names exist.
    let decoyHash: String

    public init(
        directory: any ConsoleDirectory,
        policy: CasePolicy,
        settings: ConsoleSettings = ConsoleSettings(),
        clock: @escaping @Sendable () -> Int64,
        logger: Logger
    ) {
        self.directory = directory
        self.policy = policy
        self.settings = settings
        self.clock = clock
        self.logger = logger
        decoyHash = Bcrypt.hash(ConsoleSecrets.generate(), cost: settings.bcryptCost)
    }

    /// Writes one line of the audit log: `actor` (an account name, "cli", or "-" for nobody
    /// signed in) did `action` to `object`. Every change made through the console is recorded
    /// with this; `detail` must hold no password, cookie or token.
    public func audit(actor: String, action: String, object: String, detail: String = "") async throws {
        try await directory.appendAudit(
            ConsoleAuditEntry(atNanos: clock(), actor: actor, action: action, object: object, detail: detail)
        )
    }

    /// `audit(actor:action:object:detail:)` as a value, for the routes that change things
    /// through the console but are built apart from it (`ConsolePages`, `CaseMessageRoutes`):
    /// they cannot be added without one, so no change they make goes unrecorded.
    public typealias Auditor =
        @Sendable (_ actor: String, _ action: String, _ object: String, _ detail: String) async throws -> Void

    public var auditor: Auditor {
        { actor, action, object, detail in
            try await audit(actor: actor, action: action, object: object, detail: detail)
        }
    }

    // MARK: signing in

    /// What a sign-in came to.
    public enum SignIn: Sendable, Equatable {
        /// `secret` goes into the cookie; the store holds only its hash (`session.id`).
        case signedIn(secret: String, session: ConsoleSessionRecord)
        /// Wrong name or password, a disabled account, or a locked one: the page says the same
        /// for all, so it does not tell which names exist.
        case refused
        /// Too many failures from the client's address; try again after `retryMinutes`.
        case addressThrottled(retryMinutes: Int)
    }

    /// Checks `password` for `name`, with the per-address and per-account throttles, and
    /// records what happened (audit log; one log line when an account locks).
    public func signIn(name: String, password: String, address: String?) async throws -> SignIn {
        let now = clock()
        let addressKey = Self.addressHash(address)
        let window = settings.addressWindowNanos
        if try await directory.addressFailures(addressKey, windowNanos: window, nowNanos: now)
            >= settings.addressMaxFailures
        {
            return .addressThrottled(retryMinutes: Int(window / ConsoleSettings.minute))
        }
        let account = ConsoleAccount.isValidName(name) ? try await directory.account(named: name) : nil
        guard let account, !account.disabled, !account.isLocked(nowNanos: now) else {
            _ = try await ConsolePasswords.verify(password, hash: decoyHash)
            try await failed(account: account, addressKey: addressKey, now: now)
            return .refused
        }
        guard try await ConsolePasswords.verify(password, hash: account.passwordHash) else {
            if let until = try await directory.recordLoginFailure(account.name, lock: settings.lock, nowNanos: now) {
                logger.notice("console account locked after failed sign-ins (audit log: account-locked)")
                try await audit(
                    actor: "-",
                    action: "account-locked",
                    object: account.name,
                    detail: RFC3339.format(unixNanos: until)
                )
            }
            try await failed(account: account, addressKey: addressKey, now: now)
            return .refused
        }
        try await directory.recordLoginSuccess(account.name, nowNanos: now)
        let secret = ConsoleSecrets.generate()
        let session = ConsoleSessionRecord(
            id: ConsoleSecrets.hash(secret),
            account: account.name,
            csrfToken: ConsoleSecrets.generate(),
            createdAtNanos: now,
            lastSeenNanos: now
        )
        try await directory.createSession(session)
        try await audit(actor: account.name, action: "login", object: account.name)
        return .signedIn(secret: secret, session: session)
    }

    private func failed(account: ConsoleAccount?, addressKey: String, now: Int64) async throws {
        let n = try await directory.recordAddressFailure(
            addressKey,
            windowNanos: settings.addressWindowNanos,
            nowNanos: now
        )
        if n == settings.addressMaxFailures {
            logger.notice("console sign-ins refused from one address after failures")
        }
        let why =
            switch account {
            case nil: "unknown-account"
            case let a? where a.disabled: "account-disabled"
            case let a? where a.isLocked(nowNanos: now): "account-locked"
            default: "wrong-password"
            }
        try await audit(actor: "-", action: "login-failed", object: account?.name ?? "", detail: why)
    }

    /// What the per-address throttle keys on: a hash, so the table holds no address as such.
    static func addressHash(_ address: String?) -> String {
        ConsoleSecrets.hash("console-address:" + (address ?? "unknown"))
    }

    // MARK: sessions

    /// The signed-in session a cookie's `secret` belongs to, or nil: none, ended, idle for
    /// longer than the settings allow, or of a disabled account (those two end here, with a
    /// line in the audit log). A live session's last-seen time moves forward.
    public func session(secret: String) async throws -> ConsoleSession? {
        let id = ConsoleSecrets.hash(secret)
        guard let (record, account) = try await directory.session(id: id), record.endedAtNanos == nil else {
            return nil
        }
        let now = clock()
        if account.disabled {
            try await directory.endSession(id: id, reason: "disabled", nowNanos: now)
            try await audit(actor: account.name, action: "session-ended", object: account.name, detail: "disabled")
            return nil
        }
        if now - record.lastSeenNanos > settings.idleNanos {
            try await directory.endSession(id: id, reason: "idle", nowNanos: now)
            try await audit(actor: account.name, action: "session-ended", object: account.name, detail: "idle")
            return nil
        }
        // One write a minute at most, however many requests a page makes.
        if now - record.lastSeenNanos >= min(ConsoleSettings.minute, settings.idleNanos / 10) {
            try await directory.touchSession(id: id, nowNanos: now)
        }
        return ConsoleSession(id: id, user: Self.user(account), csrfToken: record.csrfToken)
    }

    /// Whether a session a long-lived answer (the live feed) was opened with still stands: not
    /// ended (signed out, or ended by `users disable` or a password change) and its account not
    /// disabled. Idleness is not counted: a feed is its page being open.
    public func isLive(_ session: ConsoleSession) async throws -> Bool {
        guard let (record, account) = try await directory.session(id: session.id) else { return false }
        return record.endedAtNanos == nil && !account.disabled
    }

    /// Ends the session (sign-out).
    public func signOut(_ session: ConsoleSession) async throws {
        try await directory.endSession(id: session.id, reason: "logout", nowNanos: clock())
        try await audit(actor: session.user.name, action: "logout", object: session.user.name)
    }

    /// The person an account is, for the pages.
    public static func user(_ a: ConsoleAccount) -> ConsoleUser {
        ConsoleUser(
            name: a.name,
            role: a.role,
            sites: a.sites,
            insurer: a.insurer,
            language: UILanguage(tag: a.language) ?? .english,
            timeZone: TimeZone(identifier: a.timeZone) ?? TimeZone(identifier: "UTC")!
        )
    }
}
