import CUSB
import GatewayCore
import Glibc

/// The thin libusb edge of the USB NFC backend: one reader's device node, its bulk IN and OUT
/// endpoints, and transfers on them. Everything about frames is above it (``PN533USBLink``,
/// ``ACR122UUSBLink``).
///
/// The node is opened with open(2) and handed to libusb (`libusb_wrap_sys_device`), so the
/// supervisor's udev device is the one used and a refusal keeps its errno: EPERM is the service's
/// device sandbox, EACCES the node's permissions. The endpoints come from the descriptors (the
/// first vendor-specific or CCID interface with a bulk IN and a bulk OUT endpoint), not from a
/// table: the same chip shows up with different endpoint numbers (a PN533 stick 0x84/0x04, a
/// gadget 0x81/0x02). A kernel driver holding the interface (`pn533_usb`) is detached by libusb
/// for as long as gatewayd holds it, and re-attached when it lets go.
///
/// Belongs to the reader's thread: libusb's synchronous transfers run the context's events on
/// the calling thread, and the context is this device's alone.
final class USBBulkDevice {
    let devnode: String
    let vendor: UInt16
    let product: UInt16
    /// The interface's class: 0x0B for a CCID reader (ACR122U), 0xFF for a PN53x's own protocol.
    let interfaceClass: UInt8
    let endpointIn: UInt8
    let endpointOut: UInt8
    let maxPacketSize: Int
    /// A kernel driver had the interface when it was claimed (libusb detached it).
    let hadKernelDriver: Bool
    private let context: OpaquePointer
    private let handle: OpaquePointer
    private let fd: Int32
    private let interface: Int32
    private var buffer = [UInt8](repeating: 0, count: USBBulkDevice.readLength)

    /// What one IN transfer asks for: a multiple of every bulk packet size (so a device never
    /// overruns it) and more than the longest PN53x or CCID answer gatewayd asks for.
    static let readLength = 512
    static let writeTimeoutMillis = 1000

    /// - Throws: `.readerGone` when the node is not there (unplugged between udev's announcement
    ///   and the open), `.reader` when it cannot be used (permissions, claimed by another program,
    ///   not a reader).
    init(devnode: String) throws(NFCTransceiveError) {
        self.devnode = devnode
        var ctx: OpaquePointer?
        let r = libusb_init(&ctx)
        guard r == 0, let ctx else { throw .reader("libusb_init failed: \(USBLibrary.describe(r))") }
        let fd = open(devnode, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            libusb_exit(ctx)
            throw Self.openError(devnode, e)
        }
        var h: OpaquePointer?
        let w = libusb_wrap_sys_device(ctx, Int(fd), &h)
        guard w == 0, let h else {
            close(fd)
            libusb_exit(ctx)
            throw Self.failure(devnode, w, "cannot use the device node")
        }
        func fail(_ error: NFCTransceiveError) -> NFCTransceiveError {
            libusb_close(h)
            close(fd)
            libusb_exit(ctx)
            return error
        }
        var desc = libusb_device_descriptor()
        let dev = libusb_get_device(h)
        guard libusb_get_device_descriptor(dev, &desc) == 0 else {
            throw fail(.reader("\(devnode): cannot read the device descriptor"))
        }
        guard let bulk = Self.bulkInterface(dev) else {
            throw fail(
                .reader(
                    "\(devnode) (\(hex4(desc.idVendor)):\(hex4(desc.idProduct))) has no interface with bulk IN and OUT endpoints: not a PN53x or CCID reader"
                )
            )
        }
        // Detach only what is there: a kernel driver (pn533_usb) is detached while gatewayd
        // holds the interface and given it back afterwards; with none, the claim is a plain one.
        let held = libusb_kernel_driver_active(h, bulk.number) == 1
        if held { _ = libusb_set_auto_detach_kernel_driver(h, 1) }
        let c = libusb_claim_interface(h, bulk.number)
        guard c == 0 else {
            if c == USBLibrary.busy {
                throw fail(
                    .reader(
                        "\(devnode): the reader is claimed by another program (pcscd with libccid, or another gatewayd); stop it, or use backend = \"pcsc\" for this reader"
                    )
                )
            }
            throw fail(Self.failure(devnode, c, "cannot claim interface \(bulk.number)"))
        }
        self.context = ctx
        self.handle = h
        self.fd = fd
        self.vendor = desc.idVendor
        self.product = desc.idProduct
        self.interface = bulk.number
        self.interfaceClass = bulk.interfaceClass
        self.endpointIn = bulk.endpointIn
        self.endpointOut = bulk.endpointOut
        self.maxPacketSize = bulk.maxPacketSize
        self.hadKernelDriver = held
    }

    deinit {
        _ = libusb_release_interface(handle, interface)
        libusb_close(handle)
        // libusb does not close a descriptor it was handed.
        close(fd)
        libusb_exit(context)
    }

    /// One bulk OUT transfer of `bytes`, followed by a zero-length packet when its length is a
    /// multiple of the endpoint's packet size: a transfer that ends on a full packet is not over
    /// for the device until a short one comes.
    func write(_ bytes: [UInt8], timeoutMillis: Int = writeTimeoutMillis) throws(NFCTransceiveError) {
        try transfer(out: bytes, timeoutMillis: timeoutMillis)
        if !bytes.isEmpty && bytes.count % maxPacketSize == 0 {
            try transfer(out: [], timeoutMillis: timeoutMillis)
        }
    }

    /// One bulk IN transfer. - Returns: the bytes, nil when nothing came within `timeoutMillis`.
    func read(timeoutMillis: Int) throws(NFCTransceiveError) -> [UInt8]? {
        var actual: Int32 = 0
        let r = buffer.withUnsafeMutableBufferPointer {
            libusb_bulk_transfer(handle, endpointIn, $0.baseAddress, Int32($0.count), &actual, UInt32(timeoutMillis))
        }
        if r == USBLibrary.timeout && actual == 0 { return nil }
        guard r == 0 || r == USBLibrary.timeout else { throw failed(r, "bulk IN 0x\(hex2(endpointIn))", endpointIn) }
        return Array(buffer.prefix(Int(actual)))
    }

    private func transfer(out bytes: [UInt8], timeoutMillis: Int) throws(NFCTransceiveError) {
        // A zero-length packet still needs a buffer address.
        var data = bytes.isEmpty ? [0] : bytes
        var actual: Int32 = 0
        let r = data.withUnsafeMutableBufferPointer {
            libusb_bulk_transfer(
                handle,
                endpointOut,
                $0.baseAddress,
                Int32(bytes.count),
                &actual,
                UInt32(timeoutMillis)
            )
        }
        guard r == 0 else { throw failed(r, "bulk OUT 0x\(hex2(endpointOut))", endpointOut) }
        guard Int(actual) == bytes.count else {
            throw .reader("\(devnode): bulk OUT took \(actual) of \(bytes.count) bytes")
        }
    }

    private func failed(_ r: Int32, _ what: String, _ endpoint: UInt8) -> NFCTransceiveError {
        // A stalled endpoint stays stalled until cleared; the session's resync then starts clean.
        if r == USBLibrary.pipe { _ = libusb_clear_halt(handle, endpoint) }
        return Self.failure(devnode, r, what)
    }

    private static func failure(_ devnode: String, _ r: Int32, _ what: String) -> NFCTransceiveError {
        if r == USBLibrary.noDevice { return .readerGone("\(devnode): \(USBLibrary.describe(r))") }
        if r == USBLibrary.access {
            return .reader("\(devnode): \(what): \(USBLibrary.describe(r)); \(permissionHint)")
        }
        return .reader("\(devnode): \(what): \(USBLibrary.describe(r))")
    }

    static let permissionHint =
        "install the udev rules that give group gatewayd rw on the reader (make install or the .deb: 70-gatewayd-nfc.rules) and replug it"

    private static func openError(_ devnode: String, _ e: Int32) -> NFCTransceiveError {
        switch e {
        case EPERM:
            return .reader(
                "\(devnode): not permitted: blocked by the service's sandbox (DeviceAllow: the unit must grant char-usb_device rw)"
            )
        case EACCES:
            return .reader(
                "\(devnode): permission denied: the udev rule's group does not let this user open it; \(permissionHint)"
            )
        case ENOENT, ENODEV, ENXIO:
            return .readerGone("\(devnode): \(String(cString: strerror(e)))")
        default:
            return .reader("\(devnode): \(String(cString: strerror(e)))")
        }
    }

    private struct BulkInterface {
        var number: Int32
        var interfaceClass: UInt8
        var endpointIn: UInt8
        var endpointOut: UInt8
        var maxPacketSize: Int
    }

    /// The first interface (first alternate setting) that is vendor-specific or CCID and has a
    /// bulk IN and a bulk OUT endpoint.
    private static func bulkInterface(_ dev: OpaquePointer?) -> BulkInterface? {
        var config: UnsafeMutablePointer<libusb_config_descriptor>?
        guard libusb_get_active_config_descriptor(dev, &config) == 0, let config else { return nil }
        defer { libusb_free_config_descriptor(config) }
        for i in 0..<Int(config.pointee.bNumInterfaces) {
            let iface = config.pointee.interface[i]
            guard iface.num_altsetting > 0 else { continue }
            let alt = iface.altsetting[0]
            guard alt.bInterfaceClass == 0xFF || alt.bInterfaceClass == 0x0B else { continue }
            var endpointIn: UInt8?
            var endpointOut: UInt8?
            var packet = 64
            for e in 0..<Int(alt.bNumEndpoints) {
                let ep = alt.endpoint[e]
                guard ep.bmAttributes & 0x03 == 0x02 else { continue }  // bulk
                if ep.bEndpointAddress & 0x80 != 0 {
                    if endpointIn == nil { endpointIn = ep.bEndpointAddress }
                } else if endpointOut == nil {
                    endpointOut = ep.bEndpointAddress
                    packet = Int(ep.wMaxPacketSize & 0x7FF)
                }
            }
            if let endpointIn, let endpointOut, packet > 0 {
                return BulkInterface(
                    number: Int32(alt.bInterfaceNumber),
                    interfaceClass: alt.bInterfaceClass,
                    endpointIn: endpointIn,
                    endpointOut: endpointOut,
                    maxPacketSize: packet
                )
            }
        }
        return nil
    }
}
