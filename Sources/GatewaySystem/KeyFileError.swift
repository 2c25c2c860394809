import Glibc

/// Why a key file could not be loaded or written, each with what to do about it.
public enum KeyFileError: Error, CustomStringConvertible {
    case missing(path: String, role: String)
    case unreadable(path: String, detail: String)
    case tooOpen(path: String, mode: mode_t)
    case wrongOwner(path: String, owner: uid_t, me: uid_t)
    case badFormat(path: String, detail: String)
    case exists(path: String)
    case unwritable(path: String, detail: String)

    public var description: String {
        switch self {
        case .missing(let path, let role):
            switch role {
            case "device":
                return
                    "device key \(path) does not exist; create it with `gatewayd keygen --out \(path)` and register the printed public key at the case server"
            case "server":
                return
                    "server public key \(path) does not exist; copy the case server's public key there (case-server keygen prints it)"
            case "site":
                return
                    "site key \(path) does not exist; create it once per site with `gatewayd keygen --site-key \(path)` and copy the same file (mode 0600) to every terminal of the site, or set [redact] site_key"
            default:
                return "\(role) key \(path) does not exist"
            }
        case .unreadable(let path, let detail):
            return "key \(path): cannot read (\(detail)); check that the service user may read it"
        case .tooOpen(let path, let mode):
            return
                "key \(path) has mode \(String(mode, radix: 8)), readable by others; run `chmod 600 \(path)` (and consider the key exposed: rotate it)"
        case .wrongOwner(let path, let owner, let me):
            return
                "key \(path) is owned by uid \(owner), not by this service (uid \(me)); run `chown` so the service user owns it"
        case .badFormat(let path, let detail):
            return "key \(path): \(detail)"
        case .exists(let path):
            return
                "\(path) exists already; keygen never overwrites a key — move it away first if you mean to replace it"
        case .unwritable(let path, let detail):
            return "cannot write \(path): \(detail)"
        }
    }
}
