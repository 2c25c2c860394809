import Foundation

extension Probe {
    /// The kernel's NFC drivers that claim the readers gatewayd's USB backend drives.
    static let nfcKernelDrivers: Set<String> = ["pn533_usb", "pn533", "port100"]

    /// The kernel drivers bound to the interfaces of the USB device behind a usbfs node
    /// (/dev/bus/usb/BBB/DDD), from sysfs: the device under /sys/bus/usb/devices whose `busnum`
    /// and `devnum` are BBB and DDD; its `<device>:<config>.<interface>` entries carry a
    /// `driver` link when bound.
    static func kernelDrivers(usbNode: String) -> [String] {
        let parts = usbNode.split(separator: "/")
        guard parts.count >= 2, let bus = Int(parts[parts.count - 2]), let dev = Int(parts[parts.count - 1]) else {
            return []
        }
        let root = USBBus.sysfsDevices
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: root) else { return [] }
        func number(_ dir: String, _ attr: String) -> Int? {
            USBBus.attribute("\(root)/\(dir)", attr).flatMap { Int($0) }
        }
        guard
            let device = entries.first(where: {
                !$0.contains(":") && number($0, "busnum") == bus && number($0, "devnum") == dev
            })
        else { return [] }
        return entries.filter { $0.hasPrefix(device + ":") }.sorted().compactMap { USBBus.driver("\(root)/\($0)") }
    }
}
