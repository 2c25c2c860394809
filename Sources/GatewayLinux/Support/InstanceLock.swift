import Glibc

/// One gatewayd per spool: an exclusive flock(2) on `<spool>.lock`, held for the life of the
/// process (the kernel drops it when the process dies, kill -9 included, so a stale lock
/// cannot exist). Two daemons on one spool would send every envelope twice; `--probe --listen`
/// would take scans from the daemon's readers — both are refused with this lock.
public final class InstanceLock: Sendable {
    public let path: String
    private let fd: Int32

    public init(spoolPath: String) throws(InstanceLockError) {
        path = spoolPath + ".lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let e = errno
            close(fd)
            if e == EWOULDBLOCK { throw .held(path: path) }
            throw .cannotOpen(path: path, errno: e)
        }
    }

    deinit { close(fd) }
}

public enum InstanceLockError: Error, CustomStringConvertible {
    case held(path: String)
    case cannotOpen(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .held(let path):
            return
                "another gatewayd is running on this spool (it holds \(path)); stop it first (systemctl stop gatewayd) or give this one its own [spool] path"
        case .cannotOpen(let path, let e):
            return
                "cannot open \(path): \(String(cString: strerror(e))); the spool's directory must be writable by the service user"
        }
    }
}
