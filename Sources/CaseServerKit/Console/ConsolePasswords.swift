import HummingbirdBcrypt
import NIOPosix

/// Console passwords: bcrypt hashes (HummingbirdBcrypt), computed on NIO's blocking thread
/// pool because a hash takes a good part of a second of CPU by design and must not hold up an
/// event loop or a cooperative thread.
public enum ConsolePasswords {
    /// Shorter passwords are refused: 12 characters resist guessing even through the throttle
    /// being bypassed by many addresses.
    public static let minimumLength = 12
    /// bcrypt reads at most 72 bytes; a longer password would be cut silently, so it is refused.
    public static let maximumBytes = 72
    /// bcrypt's work factor for new hashes (2^12 rounds).
    public static let defaultCost: UInt8 = 12

    /// Why a new password is refused, worded for the person choosing it (`case-server users`;
    /// the console shows the catalogue's words for the same cases).
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case tooShort(minimum: Int)
        case tooLong(maximumBytes: Int)

        public var description: String {
            switch self {
            case .tooShort(let n): "the password is too short: use at least \(n) characters"
            case .tooLong(let n): "the password is too long: use at most \(n) bytes (bcrypt reads no more)"
            }
        }
    }

    public static func check(_ password: String) throws(Problem) {
        guard password.count >= minimumLength else { throw .tooShort(minimum: minimumLength) }
        guard password.utf8.count <= maximumBytes else { throw .tooLong(maximumBytes: maximumBytes) }
    }

    public static func hash(_ password: String, cost: UInt8 = defaultCost) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    public static func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}
