/// One device on the USB bus as `gatewayd --probe` finds it: what libusb reads from its
/// descriptors, what sysfs says about its strings and the kernel drivers bound to its
/// interfaces, and the device nodes below it. The edge gathers it; `USBVerdict` judges it
/// without I/O.
public struct USBDevice: Sendable, Equatable {
    /// One interface of the active configuration (its first alternate setting).
    public struct Interface: Sendable, Equatable {
        public var number: UInt8
        public var interfaceClass: UInt8
        public var subclass: UInt8
        public var interfaceProtocol: UInt8
        /// The kernel driver bound to it (sysfs `driver`), e.g. usbhid, ftdi_sio, pn533_usb;
        /// "usbfs" when a program holds it through libusb; nil when nothing is bound.
        public var driver: String?

        public init(
            number: UInt8,
            interfaceClass: UInt8,
            subclass: UInt8 = 0,
            interfaceProtocol: UInt8 = 0,
            driver: String? = nil
        ) {
            self.number = number
            self.interfaceClass = interfaceClass
            self.subclass = subclass
            self.interfaceProtocol = interfaceProtocol
            self.driver = driver
        }

        public var isBootKeyboard: Bool { interfaceClass == 3 && subclass == 1 && interfaceProtocol == 1 }
        public var isBootMouse: Bool { interfaceClass == 3 && subclass == 1 && interfaceProtocol == 2 }

        /// The interface class in a technician's words (usb.ids' names, shortened).
        public var className: String {
            switch interfaceClass {
            case 1: return "audio"
            case 2: return subclass == 2 ? "CDC-ACM" : "CDC"
            case 3:
                if isBootKeyboard { return "HID boot keyboard" }
                if isBootMouse { return "HID boot mouse" }
                return "HID"
            case 5: return "physical"
            case 6: return "still image"
            case 7: return "printer"
            case 8: return "mass storage"
            case 9: return "hub"
            case 0x0A: return "CDC data"
            case 0x0B: return "smart card (CCID)"
            case 0x0E: return "video"
            case 0xE0: return "wireless"
            case 0xEF: return "miscellaneous"
            case 0xFE: return "application specific"
            case 0xFF: return "vendor specific"
            default: return "class \(hex2(interfaceClass))"
            }
        }
    }

    public var bus: UInt8
    public var address: UInt8
    /// The port numbers from the root hub down (empty for a root hub).
    public var ports: [UInt8]
    public var vendor: UInt16
    public var product: UInt16
    /// bDeviceClass (0: each interface says; 9: a hub).
    public var deviceClass: UInt8
    public var manufacturer: String?
    public var productName: String?
    public var serial: String?
    public var interfaces: [Interface]
    /// The device nodes below it (ttys, evdev, hidraw, video), as udev describes them; the USB
    /// device's own node is `usbNode`.
    public var nodes: [DeviceDescription]

    public init(
        bus: UInt8,
        address: UInt8,
        ports: [UInt8],
        vendor: UInt16,
        product: UInt16,
        deviceClass: UInt8 = 0,
        manufacturer: String? = nil,
        productName: String? = nil,
        serial: String? = nil,
        interfaces: [Interface] = [],
        nodes: [DeviceDescription] = []
    ) {
        self.bus = bus
        self.address = address
        self.ports = ports
        self.vendor = vendor
        self.product = product
        self.deviceClass = deviceClass
        self.manufacturer = manufacturer
        self.productName = productName
        self.serial = serial
        self.interfaces = interfaces
        self.nodes = nodes
    }

    /// The kernel's name for it, under /sys/bus/usb/devices: "1-1.2", or "usb1" for a root hub.
    public var sysfsName: String {
        ports.isEmpty ? "usb\(bus)" : "\(bus)-" + ports.map { String($0) }.joined(separator: ".")
    }

    /// vendor:product as lsusb prints it.
    public var ids: String { "\(hex4(vendor)):\(hex4(product))" }

    /// Manufacturer and product strings, as the reader rules' `name` sees them for a tty.
    public var name: String? {
        let n = [manufacturer, productName].compactMap { $0 }.joined(separator: " ")
        return n.isEmpty ? nil : n
    }

    public var isHub: Bool {
        deviceClass == 9 || (!interfaces.isEmpty && interfaces.allSatisfy { $0.interfaceClass == 9 })
    }

    /// The drivers bound to its interfaces, each once, in interface order.
    public var drivers: [String] {
        var seen: [String] = []
        for d in interfaces.compactMap(\.driver) where !seen.contains(d) { seen.append(d) }
        return seen
    }

    /// The device as an NFC reader with `backend = "usb"` selects it: its usbfs node.
    public var usbNode: DeviceDescription {
        DeviceDescription(
            devnode: "/dev/bus/usb/\(String(bus).leftPadded(to: 3))/\(String(address).leftPadded(to: 3))",
            subsystem: "usb",
            vendor: vendor,
            product: product,
            serial: serial,
            name: name,
            driver: drivers.first
        )
    }
}
