import Foundation
import Glibc

/// Named places where a test can make gatewayd stop for a while, so that a kill -9 lands in a
/// chosen window (after a commit but before the input is consumed; after the server answered
/// but before the spool is settled) instead of by luck. Read once from the environment:
///
///     GATEWAYD_FAILPOINTS="after-commit=2000,after-post=2000"   (milliseconds)
///
/// For tests only; unset in production, where `hit` is one empty-dictionary lookup.
public enum Failpoints {
    static let table: [String: Int] = {
        guard let spec = ProcessInfo.processInfo.environment["GATEWAYD_FAILPOINTS"] else { return [:] }
        var t: [String: Int] = [:]
        for item in spec.split(separator: ",") {
            let kv = item.split(separator: "=", maxSplits: 1)
            if kv.count == 2, let ms = Int(kv[1]) { t[String(kv[0])] = ms }
        }
        return t
    }()

    /// Pauses the calling thread if `name` is armed, after saying so on stderr (for the test).
    public static func hit(_ name: String) {
        guard !table.isEmpty, let ms = table[name] else { return }
        let line = "failpoint \(name): pausing \(ms) ms\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        usleep(UInt32(ms) * 1000)
    }
}
