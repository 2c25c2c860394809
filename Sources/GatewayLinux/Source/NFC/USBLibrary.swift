import CUSB

/// libusb-1.0, loaded when a `backend = "usb"` NFC reader starts: gatewayd does not link it, so a
/// terminal without such a reader never maps it (Sources/CUSB does the `dlopen`). Also libusb's
/// words for its result codes.
enum USBLibrary {
    /// libusb-1.0.so.0 could not be loaded.
    struct Unavailable: Error, CustomStringConvertible, Equatable {
        var reason: String
        var description: String {
            "cannot load libusb-1.0 (\(reason)); install it with: apt-get install libusb-1.0-0"
        }
    }

    static func load() throws(Unavailable) {
        var why = [CChar](repeating: 0, count: 256)
        guard gw_usb_load(&why, why.count) == 0 else {
            throw Unavailable(
                reason: String(decoding: why.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            )
        }
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
