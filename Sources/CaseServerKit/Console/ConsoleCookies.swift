import Hummingbird

/// The console's cookies: the session's (its secret) and the sign-in form's (a token the form
/// must send back, so a sign-in cannot be posted from another site). Both `HttpOnly`,
/// `SameSite=Strict`, `Path=/console`, and `Secure` whenever the server runs TLS.
public enum ConsoleCookies {
    public static let session = "console_session"
    public static let signIn = "console_signin"

    public static func make(_ name: String, _ value: String, settings: ConsoleSettings) -> Cookie {
        Cookie(
            name: name,
            value: value,
            path: "/console",
            secure: settings.secureCookies,
            httpOnly: true,
            sameSite: .strict
        )
    }

    /// Tells the browser to drop the cookie.
    public static func cleared(_ name: String, settings: ConsoleSettings) -> Cookie {
        Cookie(
            name: name,
            value: "",
            maxAge: 0,
            path: "/console",
            secure: settings.secureCookies,
            httpOnly: true,
            sameSite: .strict
        )
    }
}
