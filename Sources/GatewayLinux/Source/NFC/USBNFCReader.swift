import GatewayCore

/// An NFC reader driven by gatewayd's own libusb-1.0 driver (`backend = "usb"`).
final class USBNFCReader: DeviceSession {
    let config: GatewayConfig.Reader
    private let settings: GatewayConfig.Reader.NFC
    private let committer: ScanCommitter
    private let stop: StopSignal

    init(config: GatewayConfig.Reader, settings: GatewayConfig.Reader.NFC, committer: ScanCommitter, stop: StopSignal) {
        self.config = config
        self.settings = settings
        self.committer = committer
        self.stop = stop
    }

    func run(devnode: String) -> SessionEnd {
        .failed("\(devnode): the USB NFC backend is not in this build yet; use backend = \"pcsc\"")
    }
}
