import CUdev
import Foundation
import GatewayCore
import Glibc

/// libudev at the edge: lists the devices of a subsystem and watches for add/remove on
/// netlink, each described as a `DeviceDescription` read from sysfs (so matching works the
/// same with or without udevd: vendor, product and serial come from the USB device's sysfs
/// attributes, not from udev's database).
///
/// Used by one thread at a time (the reader supervisor's, or the probe's), hence not `Sendable`:
/// libudev contexts are not thread-safe.
public final class UdevDevices {
    private let udev: OpaquePointer
    private var monitor: OpaquePointer?
    public let subsystems: [String]
    /// "udev" when udevd runs (events after its rules, symlinks made), else "kernel".
    public let source: String

    public init(subsystems: [String]) {
        udev = udev_new()
        self.subsystems = subsystems
        source = FileManager.default.fileExists(atPath: "/run/udev/control") ? "udev" : "kernel"
    }

    deinit {
        if let monitor { udev_monitor_unref(monitor) }
        udev_unref(udev)
    }

    public func enumerate() -> [DeviceDescription] {
        guard let e = udev_enumerate_new(udev) else { return [] }
        defer { udev_enumerate_unref(e) }
        for s in subsystems { udev_enumerate_add_match_subsystem(e, s) }
        udev_enumerate_scan_devices(e)
        var out: [DeviceDescription] = []
        var entry = udev_enumerate_get_list_entry(e)
        while let en = entry {
            if let syspath = udev_list_entry_get_name(en), let dev = udev_device_new_from_syspath(udev, syspath) {
                if let d = Self.describe(dev) { out.append(d) }
                udev_device_unref(dev)
            }
            entry = udev_list_entry_get_next(en)
        }
        return out.sorted { $0.devnode < $1.devnode }
    }

    /// Starts listening; returns the fd to poll.
    public func startMonitor() -> Int32? {
        guard let m = udev_monitor_new_from_netlink(udev, source) else { return nil }
        for s in subsystems { udev_monitor_filter_add_match_subsystem_devtype(m, s, nil) }
        guard udev_monitor_enable_receiving(m) == 0 else {
            udev_monitor_unref(m)
            return nil
        }
        monitor = m
        let fd = udev_monitor_get_fd(m)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fd
    }

    public enum Action: String, Sendable { case add, remove, change, other }

    /// Reads one pending event, if any.
    public func receive() -> (Action, DeviceDescription)? {
        guard let m = monitor, let dev = udev_monitor_receive_device(m) else { return nil }
        defer { udev_device_unref(dev) }
        let action = udev_device_get_action(dev).map { Action(rawValue: String(cString: $0)) ?? .other } ?? .other
        guard let d = Self.describe(dev) else { return nil }
        return (action, d)
    }

    static func describe(_ dev: OpaquePointer) -> DeviceDescription? {
        guard let node = udev_device_get_devnode(dev), let sub = udev_device_get_subsystem(dev) else { return nil }
        let subsystem = String(cString: sub)
        var d = DeviceDescription(devnode: String(cString: node), subsystem: subsystem)
        if subsystem == "input" && !d.devnode.contains("/event") { return nil }
        // A USB device node (/dev/bus/usb/…, the NFC readers' libusb backend) is the USB device
        // itself; every other node hangs below one.
        let isUSBDevice = subsystem == "usb" && udev_device_get_devtype(dev).map { String(cString: $0) } == "usb_device"
        if let usb = isUSBDevice ? dev : udev_device_get_parent_with_subsystem_devtype(dev, "usb", "usb_device") {
            d.vendor = attr(usb, "idVendor").flatMap { UInt16($0, radix: 16) }
            d.product = attr(usb, "idProduct").flatMap { UInt16($0, radix: 16) }
            d.serial = attr(usb, "serial")
            d.name = [attr(usb, "manufacturer"), attr(usb, "product")].compactMap { $0 }.joined(separator: " ")
        }
        switch subsystem {
        case "input":
            if let p = udev_device_get_parent(dev), let n = attr(p, "name") { d.name = n }
        case "video4linux":
            if let n = attr(dev, "name") { d.name = n }
        case "hidraw":
            if let hid = udev_device_get_parent_with_subsystem_devtype(dev, "hid", nil),
                let n = udev_device_get_property_value(hid, "HID_NAME")
            {
                d.name = String(cString: n)
            }
        default:
            break
        }
        if d.name?.isEmpty == true { d.name = nil }
        var up: OpaquePointer? = dev
        while let u = up, d.driver == nil {
            d.driver = udev_device_get_driver(u).map { String(cString: $0) }
            up = udev_device_get_parent(u)
        }
        var link = udev_device_get_devlinks_list_entry(dev)
        while let l = link {
            if let n = udev_list_entry_get_name(l) { d.links.append(String(cString: n)) }
            link = udev_list_entry_get_next(l)
        }
        return d
    }

    private static func attr(_ dev: OpaquePointer, _ name: String) -> String? {
        guard let v = udev_device_get_sysattr_value(dev, name) else { return nil }
        let s = String(cString: v).trimmingCharacters(in: .whitespacesAndNewlines)
        return s.isEmpty ? nil : s
    }
}
