import CUSB

/// libusb-1.0, loaded when a `backend = "usb"` NFC reader starts: gatewayd does not link it, so a
/// terminal without such a reader never maps it (Sources/CUSB does the `dlopen`). Also libusb's
/// words for its result codes.
enum USBLibrary {
    static func load() throws(LibraryUnavailable) {
        try LibraryUnavailable.load("libusb-1.0", packages: "libusb-1.0-0") { gw_usb_load($0, $1) }
    }

    static let noDevice = LIBUSB_ERROR_NO_DEVICE.rawValue
    static let timeout = LIBUSB_ERROR_TIMEOUT.rawValue
    static let busy = LIBUSB_ERROR_BUSY.rawValue
    static let access = LIBUSB_ERROR_ACCESS.rawValue
    static let pipe = LIBUSB_ERROR_PIPE.rawValue

    /// e.g. "LIBUSB_ERROR_NO_DEVICE (No such device (it may have been disconnected))".
    static func describe(_ result: Int32) -> String {
        "\(String(cString: libusb_error_name(result))) (\(String(cString: libusb_strerror(result))))"
    }
}
