import Crypto
import Foundation
import Glibc
import Logging

/// Keys the digests of input marks (see `InputMark`) so the spool never holds a plain hash of
/// scanned bytes: a SHA-256 of a short label (a phone number, a badge id) could be reversed by
/// trying every candidate. The key is random per boot and lives in the runtime directory
/// (`$RUNTIME_DIRECTORY` under systemd, else /run/gatewayd) — tmpfs, gone at reboot, exactly as
/// long as the pipe contents a mark can refer to. A restarted gatewayd in the same boot reads it
/// back; without a usable runtime directory the key is kept in memory only, and a mark left by a
/// killed process cannot be recognised (its input is spooled again: a duplicate, never a loss).
public final class InputMarkHasher: Sendable {
    private let key: SymmetricKey
    public let persisted: Bool

    public init(runtimeDirectory: String? = nil, logger: Logger) {
        let dir = runtimeDirectory ?? RuntimeDirectory.path
        let path = dir + "/input-mark.key"
        if let k = Self.load(path) {
            key = k
            persisted = true
            return
        }
        let fresh = SymmetricKey(size: .bits256)
        if Self.store(fresh, dir: dir, path: path) {
            key = fresh
            persisted = true
        } else {
            key = fresh
            persisted = false
            logger.warning(
                "cannot keep the input-mark key in the runtime directory; after a crash, FIFO input spooled but not consumed may be spooled twice",
                metadata: ["directory": "\(dir)"]
            )
        }
    }

    public func digest(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: bytes, using: key))
    }

    private static func load(_ path: String) -> SymmetricKey? {
        guard let data = FileManager.default.contents(atPath: path), data.count == 32 else { return nil }
        return SymmetricKey(data: data)
    }

    private static func store(_ key: SymmetricKey, dir: String, path: String) -> Bool {
        mkdir(dir, 0o700)
        let tmp = path + ".\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        let ok = key.withUnsafeBytes { write(fd, $0.baseAddress, 32) == 32 }
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            unlink(tmp)
            return false
        }
        return true
    }
}
