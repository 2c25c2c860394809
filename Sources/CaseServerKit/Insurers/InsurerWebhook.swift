import Foundation
import GatewayCore

/// Where one insurer's notifications go (`webhook_url`) and the file holding the key they are
/// signed with (`secret_file`). The secret itself is read when the server starts
/// (`InsurerCredentials`), never written in the policy, so the policy can be shown and kept in
/// version control.
///
/// `https://` always; `http://` only to a loopback host (a relay or test receiver on the same
/// machine): a notification names a case and an insured object, and must not cross a network
/// in clear.
public struct InsurerWebhook: Sendable, Equatable {
    public var url: String
    public var secretFile: String

    public init(url: String, secretFile: String) {
        self.url = url
        self.secretFile = secretFile
    }

    /// The `webhook_url` and `secret_file` of an `[[insurer]]` table; nil when it has no
    /// `webhook_url`.
    static func parse(_ t: ConfigSection, relativeTo directory: String) throws(ConfigError) -> InsurerWebhook? {
        guard let url = try t.string("webhook_url") else {
            if try t.string("secret_file") != nil {
                throw .invalid(
                    key: t.key("secret_file"),
                    problem: "set without webhook_url",
                    fix: "add webhook_url = \"https://...\", or remove secret_file"
                )
            }
            return nil
        }
        if let problem = problem(url: url) {
            throw .invalid(
                key: t.key("webhook_url"),
                problem: problem,
                fix: "use https://host[:port]/path (http:// only to 127.0.0.1, ::1 or localhost)"
            )
        }
        guard let secret = try t.filePath("secret_file", relativeTo: directory) else {
            throw .invalid(
                key: t.key("secret_file"),
                problem: "missing: a webhook needs the key its notifications are signed with",
                fix: "write ≥ 32 random bytes to a file (e.g. `openssl rand -hex 32 > north.secret`) and name it here"
            )
        }
        return InsurerWebhook(url: url, secretFile: secret)
    }

    /// Why a URL cannot be a webhook, or nil when it can.
    static func problem(url text: String) -> String? {
        guard let u = URLComponents(string: text), let scheme = u.scheme?.lowercased(), let host = u.host,
            !host.isEmpty
        else {
            return "'\(text)' is not an absolute URL"
        }
        guard u.user == nil, u.password == nil else { return "credentials in the URL would be logged and stored" }
        switch scheme {
        case "https": return nil
        case "http":
            let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            return HostPort.loopbackHosts.contains(bare) ? nil : "http:// is allowed only to a loopback host"
        default: return "scheme '\(scheme)' is not https"
        }
    }
}
