extension GatewayConfig.Reader {
    /// `kind = "nfc"`: a contactless reader operators tap tags on.
    public struct NFC: Sendable, Equatable {
        public enum Backend: Sendable, Equatable {
            /// pcsc-lite (pcscd with libccid): the PC/SC readers whose names match `readerName`
            /// (a glob; `*` takes every reader pcscd offers).
            case pcsc(readerName: String)
            /// gatewayd's own libusb-1.0 driver: PN533-family sticks and the ACR122U.
            case usb
        }

        /// USB ids the `usb` backend drives, with the chip behind them. A `[reader.match]` rule
        /// narrows the choice; without one, any of these is taken.
        public static let usbDevices: [(vendor: UInt16, product: UInt16, name: String)] = [
            (0x04CC, 0x2533, "NXP PN533"),
            (0x04E6, 0x5591, "SCM SCL3711"),
            (0x054C, 0x02E1, "Sony RC-S360"),
            (0x072F, 0x2200, "ACS ACR122U"),
        ]

        public static let defaultReaderName = "*"

        public var backend: Backend
        /// LED and buzzer after each tap (green and a beep once the tap is stored, red and two
        /// beeps on a misread), on readers that have them.
        public var feedback: Bool

        public init(backend: Backend = .pcsc(readerName: defaultReaderName), feedback: Bool = true) {
            self.backend = backend
            self.feedback = feedback
        }

        /// `backend`, `reader` (PC/SC name glob) and `feedback` of an nfc reader.
        static func parse(_ r: ConfigSection, path: String?) throws(ConfigError) -> NFC {
            let backendName = try r.string("backend", default: "pcsc")
            let feedback = try r.string("feedback", default: "on")
            guard feedback == "on" || feedback == "off" else {
                throw .invalid(
                    key: r.key("feedback"),
                    problem: "'\(feedback)' is not on or off",
                    fix: "use \"on\" or \"off\""
                )
            }
            guard path == nil else {
                throw .invalid(
                    key: r.key("path"),
                    problem: "an nfc reader is found by its PC/SC name or USB id, not a path",
                    fix: "remove path; use reader = \"ACS ACR122U*\" (pcsc) or [reader.match] vendor/product (usb)"
                )
            }
            switch backendName {
            case "pcsc":
                let name = try r.string("reader", default: defaultReaderName)
                return NFC(backend: .pcsc(readerName: name), feedback: feedback == "on")
            case "usb":
                return NFC(backend: .usb, feedback: feedback == "on")
            default:
                throw .invalid(
                    key: r.key("backend"),
                    problem: "unknown nfc backend '\(backendName)'",
                    fix: "use \"pcsc\" (pcscd with libccid) or \"usb\" (gatewayd's own PN533/ACR122U driver)"
                )
            }
        }
    }
}
