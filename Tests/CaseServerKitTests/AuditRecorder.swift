import Synchronization

@testable import CaseServerKit

/// The audit log as a list, for routes given a `Console.Auditor`: each entry is
/// [actor, action, object, detail].
final class AuditRecorder: Sendable {
    private let lines = Mutex<[[String]]>([])

    var entries: [[String]] { lines.withLock { $0 } }

    var audit: Console.Auditor {
        { actor, action, object, detail in self.lines.withLock { $0.append([actor, action, object, detail]) } }
    }
}
