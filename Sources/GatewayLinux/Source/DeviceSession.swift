/// One open device behind a reader: `run` blocks on the reader's thread until the device goes
/// away, fails, or the reader is stopped.
protocol DeviceSession: AnyObject, Sendable {
    var config: GatewayCore.GatewayConfig.Reader { get }
    func run(devnode: String) -> SessionEnd
}

import GatewayCore

enum SessionEnd: Equatable {
    /// Stopped on request (shutdown, device removed).
    case stopped
    /// The device disappeared or hung up: wait for it to come back.
    case gone(String)
    /// The input ended for good (a replayed recording): never start it again.
    case finished
    /// Could not be used (permissions, wrong kind of device): say so, retry only on change.
    case failed(String)
}
