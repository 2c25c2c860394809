import Crypto
import Foundation

/// The insurers' secrets, read from the files the policy names when the server starts: each
/// webhook's signing key and each insurer's bearer token for the progress endpoint.
public struct InsurerCredentials: Sendable {
    /// Signing keys by insurer id: the file's bytes with surrounding whitespace removed.
    public var signingKeys: [String: [UInt8]]
    /// Insurer ids by the SHA-256 of their token, so a lookup compares digests, not the token.
    var insurerByTokenDigest: [String: String]

    public init(signingKeys: [String: [UInt8]] = [:], tokens: [String: String] = [:]) {
        self.signingKeys = signingKeys
        insurerByTokenDigest = Dictionary(
            tokens.map { (Self.digest($0.value), $0.key) },
            uniquingKeysWith: { a, _ in a }
        )
    }

    /// The insurer a bearer token belongs to, if any.
    public func insurer(token: String) -> String? { insurerByTokenDigest[Self.digest(token)] }

    public var hasTokens: Bool { !insurerByTokenDigest.isEmpty }

    static func digest(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The shortest signing key accepted: HMAC-SHA256's own output length.
    public static let minimumSecretBytes = 32
    /// The shortest token accepted, as for the staff token.
    public static let minimumTokenCharacters = 16

    /// Reads every file the policy names. - Parameter staffToken: no insurer may share it.
    public static func load(
        _ policy: CasePolicy,
        staffToken: String?,
        read: (String) throws -> Data = { try Data(contentsOf: URL(fileURLWithPath: $0)) }
    ) throws(InsurerCredentialsError) -> InsurerCredentials {
        var keys: [String: [UInt8]] = [:]
        var tokens: [String: String] = [:]
        for i in policy.insurers {
            if let w = i.webhook {
                let secret = try contents(of: w.secretFile, key: "insurer \(i.id) secret_file", read: read)
                guard secret.utf8.count >= minimumSecretBytes else {
                    throw .tooShort(
                        insurer: i.id,
                        key: "secret_file",
                        path: w.secretFile,
                        need: "\(minimumSecretBytes) bytes"
                    )
                }
                keys[i.id] = Array(secret.utf8)
            }
            if let path = i.tokenFile {
                let token = try contents(of: path, key: "insurer \(i.id) token_file", read: read)
                guard token.count >= minimumTokenCharacters else {
                    throw .tooShort(
                        insurer: i.id,
                        key: "token_file",
                        path: path,
                        need: "\(minimumTokenCharacters) characters"
                    )
                }
                if token == staffToken || tokens.values.contains(token) {
                    throw .sharedToken(insurer: i.id, path: path)
                }
                tokens[i.id] = token
            }
        }
        return InsurerCredentials(signingKeys: keys, tokens: tokens)
    }

    private static func contents(
        of path: String,
        key: String,
        read: (String) throws -> Data
    ) throws(InsurerCredentialsError) -> String {
        do {
            return String(decoding: try read(path), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw .unreadable(key: key, path: path)
        }
    }
}

/// Why the insurers' secrets could not be loaded; each says which file and what to do.
public enum InsurerCredentialsError: Error, Equatable, CustomStringConvertible {
    case unreadable(key: String, path: String)
    case tooShort(insurer: String, key: String, path: String, need: String)
    case sharedToken(insurer: String, path: String)

    public var description: String {
        switch self {
        case .unreadable(let key, let path):
            return "\(key) \(path): cannot read it; check the path (relative to the policy file) and its permissions"
        case .tooShort(let insurer, let key, let path, let need):
            return
                "insurer \(insurer) \(key) \(path): too short; it needs at least \(need) (e.g. `openssl rand -hex 32 > \(path)`)"
        case .sharedToken(let insurer, let path):
            return
                "insurer \(insurer) token_file \(path): the same token as the staff's or another insurer's; give every insurer a token of its own"
        }
    }
}
