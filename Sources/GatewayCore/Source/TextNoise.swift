/// Which lines cannot be a label where a reader's framing expects text (a line reader, a
/// serial reader framing lines, a keyboard wedge): bytes that are not UTF-8, or control
/// characters that no barcode carries. A reader producing them is misread or broken — a wrong
/// baud rate, a loose cable, electrical noise, a device that is not a scanner — and such a
/// line is delivered as a `noise` misread rather than as an unknown tag (`FloodMonitor`
/// coalesces them).
///
/// Allowed: TAB, and the separators GS1 and ISO/IEC 15434 put into labels — EOT (0x04, the
/// 15434 trailer), FS (0x1C), GS (0x1D, FNC1 in GS1 element strings), RS (0x1E) and US (0x1F).
/// Noise: every other C0 control (NUL, ESC, …), DEL, and the C1 controls U+0080–U+009F. Not
/// for binary framings (serial STX/ETX and EM4100 frames, HID POS reports, a camera's codes, a
/// reader whose `decode` hint says its bytes are EPC or NDEF): there bytes are the data.
public enum TextNoise {
    /// The control characters labels legitimately carry.
    public static let allowedControls: Set<UInt8> = [0x04, 0x09, 0x1C, 0x1D, 0x1E, 0x1F]

    /// Whether `line` (one framed line, without its terminator) is noise.
    public static func isNoise(_ line: some Collection<UInt8>) -> Bool {
        var afterC2 = false
        var ascii = true
        for b in line {
            if b < 0x20 && !allowedControls.contains(b) || b == 0x7F { return true }
            // In valid UTF-8, 0xC2 followed by 0x80…0x9F is exactly a C1 control.
            if afterC2 && (0x80...0x9F).contains(b) { return true }
            afterC2 = b == 0xC2
            if b >= 0x80 { ascii = false }
        }
        return !ascii && String(validating: line, as: UTF8.self) == nil
    }
}
