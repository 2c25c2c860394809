/// What a user may do with a file by its mode bits, owner and group — the check the kernel
/// makes for a device node, done for another user (the probe runs as root or a technician, the
/// daemon as `gatewayd`). POSIX ACLs (udev's `uaccess`) are not evaluated; the probe says so.
public struct FileAccess: Sendable, Equatable {
    public var read: Bool
    public var write: Bool

    public init(read: Bool, write: Bool) {
        self.read = read
        self.write = write
    }

    public static func of(mode: UInt32, owner: UInt32, group: UInt32, uid: UInt32, gids: [UInt32]) -> FileAccess {
        if uid == 0 { return FileAccess(read: true, write: true) }
        let shift: UInt32 = owner == uid ? 6 : (gids.contains(group) ? 3 : 0)
        let bits = (mode >> shift) & 0o7
        return FileAccess(read: bits & 0o4 != 0, write: bits & 0o2 != 0)
    }

    /// "rw", "r", "w" or "none".
    public var summary: String {
        switch (read, write) {
        case (true, true): return "rw"
        case (true, false): return "r"
        case (false, true): return "w"
        case (false, false): return "none"
        }
    }

    /// Whether this access covers `needs` ("r" or "rw").
    public func covers(_ needs: String) -> Bool {
        (!needs.contains("r") || read) && (!needs.contains("w") || write)
    }

    /// `ls -l` style type and permission bits: "crw-rw----".
    public static func modeString(_ mode: UInt32) -> String {
        let type: Character
        switch mode & 0o170000 {
        case 0o020000: type = "c"
        case 0o060000: type = "b"
        case 0o040000: type = "d"
        case 0o120000: type = "l"
        case 0o010000: type = "p"
        case 0o140000: type = "s"
        default: type = "-"
        }
        let letters: [Character] = ["r", "w", "x"]
        var s = String(type)
        for i in 0..<9 {
            s.append(mode & (1 << (8 - UInt32(i))) != 0 ? letters[i % 3] : "-")
        }
        return s
    }
}
