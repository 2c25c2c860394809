import Foundation
import Glibc

/// The daemon's runtime directory: `$RUNTIME_DIRECTORY` under systemd (RuntimeDirectory=),
/// else /run/gatewayd. tmpfs: what is here is gone at reboot, on purpose.
public enum RuntimeDirectory {
    /// Read once: the environment does not change under a running daemon, and building
    /// `ProcessInfo.environment` is not free.
    public static let path: String =
        ProcessInfo.processInfo.environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first.map(String.init)
        ?? "/run/gatewayd"

    /// Replaces `name` in the runtime directory atomically (write a temporary file, rename),
    /// so a reader never sees half a file. Best effort: a status file is not worth failing for.
    @discardableResult
    public static func write(_ name: String, _ bytes: [UInt8], in dir: String = path) -> Bool {
        mkdir(dir, 0o750)
        let final = dir + "/" + name
        let tmp = final + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { return false }
        let ok = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
        close(fd)
        return ok && rename(tmp, final) == 0
    }

    public static func read(_ name: String, in dir: String = path) -> [UInt8]? {
        FileManager.default.contents(atPath: dir + "/" + name).map(Array.init)
    }
}
