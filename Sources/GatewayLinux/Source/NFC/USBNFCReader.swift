import GatewayCore
import Glibc
import Logging

/// An NFC reader driven by gatewayd's own libusb-1.0 driver (`kind = "nfc"`, `backend = "usb"`):
/// a PN533-family stick over its own frames, or an ACR122U over CCID, whichever the device's
/// interface says (vendor-specific or CCID class). The supervisor starts one session per matching
/// USB device node and stops it when udev says the device was removed.
///
/// A session opens the device, resyncs the chip and polls it: each poll lists the tags in the
/// field (InListPassiveTarget, which answers within tens of milliseconds), `NFCPresence` says
/// which are new — a PN53x poll can miss a tag that is there, so a tag leaves only after two polls
/// without it — and each new one is one tap (`NFCTapHandler`: read, commit, then signal). Between
/// polls it waits on the stop signal, so stopping takes at most one poll.
///
/// The device going away (ENODEV) ends the session `.gone`; a tap being read then is stored as a
/// torn read first. A link out of step (corrupt frames that NACKs did not cure, no answer) is
/// resynchronised by reopening the device, a few times, before the reader is reported unusable.
final class USBNFCReader: DeviceSession {
    let config: GatewayConfig.Reader
    private let stop: StopSignal
    private var handler: NFCTapHandler
    private let logger: Logger
    private var resyncs = 0

    /// The pause between polls: taps are noticed within it, and the chip and the USB bus are not
    /// kept busy for nothing.
    static let pollIntervalMillis: Int32 = 100
    /// How long a poll may take before the link counts as out of step.
    static let pollTimeoutMillis = 500
    /// Reopens in a row (without a poll succeeding in between) before the reader is unusable.
    static let maxResyncs = 3

    init(config: GatewayConfig.Reader, settings: GatewayConfig.Reader.NFC, committer: ScanCommitter, stop: StopSignal) {
        self.config = config
        self.stop = stop
        self.handler = NFCTapHandler(committer: committer, feedback: settings.feedback)
        self.logger = committer.logger
    }

    /// How one opening of the device ended.
    private enum Outcome {
        case end(SessionEnd)
        /// The link is out of step: close, reopen.
        case resync(String)
    }

    func run(devnode: String) -> SessionEnd {
        do {
            try USBLibrary.load()
        } catch {
            return .failed(error.description)
        }
        defer { GatewayMetrics.readerConnected(false, reader: config.id) }
        while !stop.isSignalled {
            switch connect(devnode) {
            case .end(let end):
                return end
            case .resync(let why):
                resyncs += 1
                guard resyncs <= Self.maxResyncs else {
                    return .failed("\(why); the reader did not recover after \(Self.maxResyncs) reopens: replug it")
                }
                logger.warning(
                    "nfc reader out of step; reopening",
                    metadata: ["reader": "\(config.id)", "error": "\(why)", "attempt": "\(resyncs)"]
                )
                guard pause(ms: Self.pollIntervalMillis * Int32(resyncs), stop: stop) else { return .stopped }
            }
        }
        return .stopped
    }

    private func connect(_ devnode: String) -> Outcome {
        let device: USBBulkDevice
        do {
            device = try USBBulkDevice(devnode: devnode)
        } catch .readerGone(let why) {
            return .end(.gone(why))
        } catch {
            return .end(.failed(error.description))
        }
        do throws(NFCTransceiveError) {
            if device.interfaceClass == 0x0B {
                let link = ACR122UUSBLink(device: device)
                try link.powerOn()
                return serve(PN53xInitiator(link: link), device, readerFirmware: link.firmwareName)
            }
            let link = PN533USBLink(device: device)
            try link.resync()
            return serve(PN53xInitiator(link: link), device, readerFirmware: nil)
        } catch {
            return outcome(of: error)
        }
    }

    private func serve<Link: PN53xLink>(
        _ chip: PN53xInitiator<Link>,
        _ device: USBBulkDevice,
        readerFirmware: String?
    ) -> Outcome {
        let firmware: PN53xFirmware
        do {
            firmware = try chip.open()
        } catch {
            return outcome(of: error)
        }
        var meta: Logger.Metadata = [
            "reader": "\(config.id)", "kind": "nfc", "backend": "usb", "device": "\(device.devnode)",
            "usb": "\(hex4(device.vendor)):\(hex4(device.product))", "chip": "\(firmware)",
        ]
        if let readerFirmware { meta["reader_firmware"] = "\(readerFirmware)" }
        if device.hadKernelDriver {
            meta["kernel_driver"] = "detached; install the modprobe blacklist so it does not take the reader back"
        }
        logger.info("reader connected", metadata: meta)
        GatewayMetrics.readerConnected(true, reader: config.id)
        var presence = NFCPresence(absencesToLeave: 2)
        while true {
            if stop.isSignalled { return .end(.stopped) }
            do {
                let arrived = presence.observe(try chip.targets(timeoutMillis: Self.pollTimeoutMillis))
                resyncs = 0
                for target in arrived {
                    guard try handler.handle(target, over: chip) else { return .end(.stopped) }
                    // The tap was stored (as a torn read or a misread); now the reader's turn.
                    if let fault = chip.fault { return outcome(of: fault) }
                }
            } catch .tag(let why) {
                logger.debug(
                    "nfc poll answer unreadable; polling again",
                    metadata: ["reader": "\(config.id)", "error": "\(why)"]
                )
            } catch {
                return outcome(of: error)
            }
            guard pause(ms: Self.pollIntervalMillis, stop: stop) else { return .end(.stopped) }
        }
    }

    private func outcome(of error: NFCTransceiveError) -> Outcome {
        switch error {
        case .readerGone(let why): return .end(.gone(why))
        case .reader(let why), .tag(let why): return .resync(why)
        case .tagGone: return .resync(error.description)
        }
    }
}
