/// How `serve --console` runs the console: session lifetime, cookies, sign-in throttling.
public struct ConsoleSettings: Sendable {
    /// A session unused this long ends (`--console-idle-minutes`).
    public var idleNanos: Int64
    /// Cookies carry `Secure`: true whenever the server runs TLS, which `serve` always does.
    public var secureCookies: Bool
    /// Wrong passwords in a row that lock an account, and for how long.
    public var lock: ConsoleLockPolicy
    /// Failed sign-ins from one client address within `addressWindowNanos` after which that
    /// address is refused until the oldest of them is that old: more than one person's typing
    /// errors (several people may share an office's address), far fewer than guessing needs.
    public var addressMaxFailures: Int
    public var addressWindowNanos: Int64
    /// bcrypt's work factor for passwords set through the console.
    public var bcryptCost: UInt8
    /// Load balancers whose PROXY header or X-Forwarded-For names the client (`ClientAddress`).
    public var trustedProxies: Set<String>

    public static let minute: Int64 = 60_000_000_000

    public init(
        idleMinutes: Int = 30,
        secureCookies: Bool = true,
        lock: ConsoleLockPolicy = ConsoleLockPolicy(),
        addressMaxFailures: Int = 50,
        addressWindowMinutes: Int = 15,
        bcryptCost: UInt8 = ConsolePasswords.defaultCost,
        trustedProxies: Set<String> = []
    ) {
        self.idleNanos = Int64(idleMinutes) * Self.minute
        self.secureCookies = secureCookies
        self.lock = lock
        self.addressMaxFailures = addressMaxFailures
        self.addressWindowNanos = Int64(addressWindowMinutes) * Self.minute
        self.bcryptCost = bcryptCost
        self.trustedProxies = trustedProxies
    }
}
