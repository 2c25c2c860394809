import CUSB
import CUdev
import Foundation
import GatewayCore
import Glibc

/// The USB bus as the probe lists it: libusb-1.0 enumerates the devices and reads their device
/// and active configuration descriptors (no device is opened: the probe may not be allowed
/// to); sysfs gives the strings and the driver bound to each interface, libudev the device
/// nodes below each device. libusb is loaded on the first listing, never before.
///
/// Blocking (sysfs, libudev): call it from a thread of its own.
enum USBBus {
    /// libusb-1.0 cannot be loaded or cannot see the bus.
    struct Unavailable: Error, CustomStringConvertible, Equatable {
        var problem: String
        var fix: String
        var description: String { "\(problem) — \(fix)" }
    }

    static let sysfsDevices = "/sys/bus/usb/devices"
    static let usbfs = "/dev/bus/usb"

    static func list() throws(Unavailable) -> [USBDevice] {
        do {
            try USBLibrary.load()
        } catch {
            throw Unavailable(
                problem: "cannot load libusb-1.0 (\(error.reason))",
                fix: "install it: apt-get install \(error.packages)"
            )
        }
        var context: OpaquePointer?
        let rc = libusb_init(&context)
        guard rc == 0 else {
            throw Unavailable(
                problem: "libusb cannot see the USB bus (libusb_init: \(errorName(rc)))",
                fix: FileManager.default.fileExists(atPath: usbfs)
                    ? "check that \(usbfs) and \(sysfsDevices) are readable"
                    : "\(usbfs) does not exist: in a container, pass the host's /dev/bus/usb and /sys; on a terminal, is devtmpfs mounted on /dev?"
            )
        }
        defer { libusb_exit(context) }
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let n = libusb_get_device_list(context, &list)
        guard n >= 0, let list else {
            throw Unavailable(
                problem: "libusb cannot list the USB devices (\(errorName(Int32(truncatingIfNeeded: n))))",
                fix: "check that \(usbfs) and \(sysfsDevices) are readable"
            )
        }
        defer { libusb_free_device_list(list, 1) }
        let udev = udev_new()
        defer { if let udev { udev_unref(udev) } }
        return (0..<Int(n)).compactMap { i in list[i].flatMap { describe($0, udev: udev) } }
    }

    static func errorName(_ rc: Int32) -> String { String(cString: libusb_error_name(rc)) }

    static func describe(_ dev: OpaquePointer, udev: OpaquePointer?) -> USBDevice? {
        var desc = libusb_device_descriptor()
        guard libusb_get_device_descriptor(dev, &desc) == 0 else { return nil }
        var ports = [UInt8](repeating: 0, count: 8)
        let depth = libusb_get_port_numbers(dev, &ports, Int32(ports.count))
        var d = USBDevice(
            bus: libusb_get_bus_number(dev),
            address: libusb_get_device_address(dev),
            ports: Array(ports.prefix(Int(max(0, depth)))),
            vendor: desc.idVendor,
            product: desc.idProduct,
            deviceClass: desc.bDeviceClass
        )
        let sysfs = "\(sysfsDevices)/\(d.sysfsName)"
        d.manufacturer = attribute(sysfs, "manufacturer")
        d.productName = attribute(sysfs, "product")
        d.serial = attribute(sysfs, "serial")
        var config: UnsafeMutablePointer<libusb_config_descriptor>?
        if libusb_get_active_config_descriptor(dev, &config) == 0, let c = config?.pointee {
            defer { libusb_free_config_descriptor(config) }
            // Interfaces are named <device>:<configuration>.<interface>; a root hub's device
            // part is "<bus>-0".
            let prefix = "\(sysfsDevices)/\(d.ports.isEmpty ? "\(d.bus)-0" : d.sysfsName):\(c.bConfigurationValue)."
            for k in 0..<Int(c.bNumInterfaces) {
                let i = c.interface[k]
                guard i.num_altsetting > 0, let alt = i.altsetting?.pointee else { continue }
                d.interfaces.append(
                    .init(
                        number: alt.bInterfaceNumber,
                        interfaceClass: alt.bInterfaceClass,
                        subclass: alt.bInterfaceSubClass,
                        interfaceProtocol: alt.bInterfaceProtocol,
                        driver: driver(prefix + "\(alt.bInterfaceNumber)")
                    )
                )
            }
        }
        if let udev, let path = realpath(sysfs) { d.nodes = nodes(below: path, udev: udev) }
        return d
    }

    /// The device nodes udev knows below a USB device (its own usbfs node left out).
    static func nodes(below syspath: String, udev: OpaquePointer) -> [DeviceDescription] {
        guard let parent = udev_device_new_from_syspath(udev, syspath) else { return [] }
        defer { udev_device_unref(parent) }
        guard let e = udev_enumerate_new(udev) else { return [] }
        defer { udev_enumerate_unref(e) }
        udev_enumerate_add_match_parent(e, parent)
        udev_enumerate_scan_devices(e)
        var out: [DeviceDescription] = []
        var entry = udev_enumerate_get_list_entry(e)
        while let en = entry {
            if let name = udev_list_entry_get_name(en), let dev = udev_device_new_from_syspath(udev, name) {
                if let node = UdevDevices.describe(dev), node.subsystem != "usb" { out.append(node) }
                udev_device_unref(dev)
            }
            entry = udev_list_entry_get_next(en)
        }
        return out.sorted { $0.devnode < $1.devnode }
    }

    static func attribute(_ dir: String, _ name: String) -> String? {
        guard let text = try? String(contentsOfFile: "\(dir)/\(name)", encoding: .utf8) else { return nil }
        let s = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return s.isEmpty ? nil : s
    }

    /// The name of the driver bound to an interface: the last component of its `driver` link.
    static func driver(_ interfaceDir: String) -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(interfaceDir + "/driver", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        let target = String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return target.split(separator: "/").last.map(String.init)
    }
}
