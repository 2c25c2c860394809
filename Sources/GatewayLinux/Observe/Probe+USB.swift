import Foundation
import GatewayCore

extension Probe {
    /// Whether the probe lists the USB bus, which loads libusb-1.0 into the process.
    public enum USBListing: Sendable {
        /// `gatewayd --probe`: a process of its own, gone when the report is printed.
        case always
        /// Inside the daemon (the kiosk's technician page), which loads libusb only for an NFC
        /// reader with `backend = "usb"`: listed only then.
        case onlyWithUSBNFCReader
    }

    /// `usb bus`: every USB device with its ids, strings, interfaces, drivers, nodes and what
    /// a technician should make of it (`USBVerdict`). libusb missing or blind (a container
    /// without /dev/bus/usb) is a warning with the fix; the probe goes on.
    static func usbBusCheck(_ config: GatewayConfig, listing: USBListing) -> ProbeCheck {
        if listing == .onlyWithUSBNFCReader && !config.readers.contains(where: { $0.subsystem == "usb" }) {
            return .init(
                name: ProbeCheck.usbBusName,
                status: .ok,
                detail:
                    "not listed by the daemon, which loads libusb only for an NFC reader with backend = \"usb\": run gatewayd --probe"
            )
        }
        let devices: [USBDevice]
        do {
            devices = try USBBus.list()
        } catch {
            return .init(name: ProbeCheck.usbBusName, status: .warn, detail: "\(error)")
        }
        var resolved: [String: String] = [:]
        for r in config.readers { if let p = r.path.flatMap(realpath) { resolved[r.id] = p } }
        var check = ProbeCheck.usbBus(devices, readers: config.readers, resolvedPaths: resolved)
        if devices.isEmpty && !FileManager.default.fileExists(atPath: USBBus.usbfs) {
            check.status = .warn
            check.detail =
                "libusb lists no USB device: \(USBBus.usbfs) does not exist — in a container, pass the host's /dev/bus/usb and /sys; otherwise this machine has no USB controller"
        }
        return check
    }
}
