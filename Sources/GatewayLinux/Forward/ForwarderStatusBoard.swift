import Foundation
import GatewayCore
import Synchronization

/// The forwarder's state for the rest of the process: the forwarder posts its status after
/// every answer and the spool's after every settle, and the kiosk page and systemd's STATUS=
/// read them from memory. Other processes (`gatewayd spool status`, `--probe`) read the copy
/// the forwarder writes to the runtime directory (`forwarder.json`, throttled by
/// `StatusWriteThrottle`).
public final class ForwarderStatusBoard: Sendable {
    private struct State {
        var status: ForwarderStatus?
        var spool: SpoolStatus?
    }

    private let state = Mutex(State())

    public init() {}

    func status(_ s: ForwarderStatus) { state.withLock { $0.status = s } }
    func spool(_ s: SpoolStatus) { state.withLock { $0.spool = s } }

    /// The last status posted; nil before the forwarder started.
    public var status: ForwarderStatus? { state.withLock { $0.status } }

    /// The circuit as people read it: "starting" until the forwarder has said.
    public var circuit: String { status?.circuit ?? "starting" }

    /// What the kiosk page shows of the spool and the forwarder.
    public var view: KioskState.SpoolView {
        state.withLock { s in
            KioskState.SpoolView(
                depth: s.spool?.depth ?? 0,
                deadLetters: s.spool?.deadLetters ?? 0,
                circuit: s.status?.circuit ?? "starting"
            )
        }
    }

    // MARK: the file other processes read

    public static let fileName = "forwarder.json"

    static func write(_ status: ForwarderStatus) {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        if let data = try? enc.encode(status) { RuntimeDirectory.write(fileName, Array(data)) }
    }

    /// What a running daemon last wrote; nil when none runs (or has not written yet).
    public static func read() -> ForwarderStatus? {
        RuntimeDirectory.read(fileName).flatMap { try? JSONDecoder().decode(ForwarderStatus.self, from: Data($0)) }
    }
}
