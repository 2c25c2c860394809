/// One evdev event (`struct input_event`), as the pure key decoder sees it. The time is the
/// kernel's timestamp of the event (gatewayd asks for CLOCK_MONOTONIC with EVIOCSCLOCKID), so
/// a recorded stream replays with exactly the gaps it was typed with.
public struct InputEvent: Sendable, Equatable {
    public static let evSyn: UInt16 = 0
    public static let evKey: UInt16 = 1
    public static let evMsc: UInt16 = 4

    public var timeMicros: UInt64
    public var type: UInt16
    public var code: UInt16
    /// For EV_KEY: 0 release, 1 press, 2 autorepeat.
    public var value: Int32

    public init(timeMicros: UInt64, type: UInt16, code: UInt16, value: Int32) {
        self.timeMicros = timeMicros
        self.type = type
        self.code = code
        self.value = value
    }

    /// Size of `struct input_event` on 64-bit Linux: timeval (16) + type (2) + code (2) + value (4).
    public static let wireSize = 24

    /// Parses the 64-bit little-endian `struct input_event` layout.
    public static func parse(_ b: some RandomAccessCollection<UInt8>) -> InputEvent? {
        guard b.count >= wireSize else { return nil }
        func le<T: FixedWidthInteger>(_ off: Int, _: T.Type) -> T {
            var v: T = 0
            for i in 0..<MemoryLayout<T>.size {
                v |= T(b[b.index(b.startIndex, offsetBy: off + i)]) << (8 * i)
            }
            return v
        }
        let sec = le(0, Int64.self)
        let usec = le(8, Int64.self)
        guard sec >= 0, usec >= 0 else { return nil }
        return InputEvent(
            timeMicros: UInt64(sec) &* 1_000_000 &+ UInt64(usec),
            type: le(16, UInt16.self),
            code: le(18, UInt16.self),
            value: le(20, Int32.self)
        )
    }

    /// The inverse of `parse`, for recording test streams.
    public var wireBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.wireSize)
        func put<T: FixedWidthInteger>(_ v: T) {
            for i in 0..<MemoryLayout<T>.size { out.append(UInt8(truncatingIfNeeded: v >> (8 * i))) }
        }
        put(Int64(timeMicros / 1_000_000))
        put(Int64(timeMicros % 1_000_000))
        put(type)
        put(code)
        put(value)
        return out
    }
}

/// Linux key codes (linux/input-event-codes.h) the decoder treats specially.
public enum KeyCode {
    public static let esc: UInt16 = 1
    public static let minus: UInt16 = 12
    public static let backspace: UInt16 = 14
    public static let tab: UInt16 = 15
    public static let leftBrace: UInt16 = 26
    public static let rightBrace: UInt16 = 27
    public static let enter: UInt16 = 28
    public static let leftCtrl: UInt16 = 29
    public static let leftShift: UInt16 = 42
    public static let backslash: UInt16 = 43
    public static let rightShift: UInt16 = 54
    public static let leftAlt: UInt16 = 56
    public static let space: UInt16 = 57
    public static let capsLock: UInt16 = 58
    public static let numLock: UInt16 = 69
    public static let kpEnter: UInt16 = 96
    public static let rightCtrl: UInt16 = 97
    public static let rightAlt: UInt16 = 100
    /// Keypad digits 0…9 → key codes.
    public static let keypadDigits: [UInt16: UInt32] = [
        82: 0, 79: 1, 80: 2, 81: 3, 75: 4, 76: 5, 77: 6, 71: 7, 72: 8, 73: 9,
    ]
}
