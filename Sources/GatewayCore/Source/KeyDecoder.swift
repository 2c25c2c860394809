/// Turns a keyboard-wedge scanner's key events into scans: a pure state machine, fed one
/// `InputEvent` at a time, with time coming only from the events (and from `flush(now:)`), so
/// recorded streams replay exactly.
///
/// Handles Shift and Caps Lock, AltGr, dead keys, Alt+keypad decimal codes (Alt+029 → GS),
/// Ctrl combinations (Ctrl+] → GS, Ctrl+letter → C0 control), a terminator (Enter, Tab or
/// none) and, with no terminator, an inter-key gap that ends a scan. Everything is bounded: a
/// scan longer than `maxLength` is discarded and reported, a scan whose terminator never comes
/// is dropped after `stallMicros` and reported, unknown key codes and autorepeats (stuck
/// keys) are counted and ignored.
public struct KeyDecoder: Sendable {
    public enum Terminator: String, Sendable, CaseIterable {
        case enter, tab, none
    }

    public struct Options: Sendable, Equatable {
        public var terminator: Terminator = .enter
        /// With `terminator = none`: a pause this long between keys ends the scan.
        public var gapMicros: UInt64 = 50_000
        /// With a terminator: a scan whose terminator has not come this long after its last key
        /// is incomplete and dropped (reported, never forwarded as a scan).
        public var stallMicros: UInt64 = 1_000_000
        public var maxLength: Int = 4096
        /// Stripped when a scan starts / ends with them (scanner-programmed prefixes/suffixes).
        public var prefix: String = ""
        public var suffix: String = ""

        public init() {}
    }

    public enum Output: Sendable, Equatable {
        case scan([UInt8])
        case overlong(length: Int)
        /// A scan that never got its terminator; `length` bytes were dropped.
        case incomplete(length: Int)
    }

    public struct Counters: Sendable, Equatable {
        public init() {}
        public var unknownKeys = 0
        public var repeats = 0
        public var overlong = 0
        public var incomplete = 0
    }

    public let layout: KeyboardLayout
    public let options: Options
    public private(set) var counters = Counters()

    private var leftShift = false, rightShift = false
    private var leftCtrl = false, rightCtrl = false
    private var alt = false, altGr = false
    private var capsLock = false
    private var dead: Character?
    private var altDigits: UInt32?
    private var buffer: [UInt8] = []
    private var overlongLength: Int?
    private var lastKeyMicros: UInt64 = 0

    public init(layout: KeyboardLayout, options: Options = Options()) {
        self.layout = layout
        self.options = options
    }

    /// True while part of a scan is held.
    public var isMidScan: Bool { !buffer.isEmpty || overlongLength != nil || dead != nil || altDigits != nil }

    /// When `flush(now:)` next needs calling to end a scan by time, in event microseconds.
    public var deadlineMicros: UInt64? {
        guard isMidScan else { return nil }
        return lastKeyMicros + (options.terminator == .none ? options.gapMicros : options.stallMicros)
    }

    public mutating func feed(_ e: InputEvent) -> [Output] {
        guard e.type == InputEvent.evKey else { return [] }
        var out = flush(now: e.timeMicros)
        switch e.code {
        case KeyCode.leftShift:
            leftShift = e.value != 0
            return out
        case KeyCode.rightShift:
            rightShift = e.value != 0
            return out
        case KeyCode.leftCtrl:
            leftCtrl = e.value != 0
            return out
        case KeyCode.rightCtrl:
            rightCtrl = e.value != 0
            return out
        case KeyCode.rightAlt:
            altGr = e.value != 0
            return out
        case KeyCode.leftAlt:
            alt = e.value != 0
            if e.value == 0, let code = altDigits {
                altDigits = nil
                lastKeyMicros = e.timeMicros
                if let scalar = Unicode.Scalar(code) { append(Character(scalar), into: &out) }
            }
            return out
        default: break
        }
        if e.value == 2 {
            counters.repeats += 1
            return out
        }
        guard e.value == 1 else { return out }
        lastKeyMicros = e.timeMicros
        if e.code == KeyCode.capsLock {
            capsLock.toggle()
            return out
        }
        if e.code == KeyCode.numLock { return out }
        if alt, let digit = KeyCode.keypadDigits[e.code] {
            altDigits = min((altDigits ?? 0) * 10 + digit, 0x10FFFF)
            return out
        }
        if e.code == KeyCode.enter || e.code == KeyCode.kpEnter {
            // Enter ends a scan whatever the terminator: nothing a scanner types continues past it.
            endScan(into: &out)
            return out
        }
        if e.code == KeyCode.tab {
            if options.terminator == .tab { endScan(into: &out) } else { append("\t", into: &out) }
            return out
        }
        if leftCtrl || rightCtrl {
            if let c = control(for: e.code) { append(c, into: &out) } else { counters.unknownKeys += 1 }
            return out
        }
        let shifted = leftShift || rightShift
        guard let (ch, isDead) = layout.character(code: e.code, shifted: shifted, altGr: altGr) else {
            counters.unknownKeys += 1
            return out
        }
        var c = ch
        if capsLock && !altGr, c.isLetter, c.isCased {
            let flipped = c.isUppercase ? c.lowercased() : c.uppercased()
            if flipped.count == 1 { c = flipped.first! }
        }
        if isDead {
            if let pending = dead {
                dead = nil
                append(pending, into: &out)
            }
            dead = c
            return out
        }
        if let pending = dead {
            dead = nil
            if c == " " {
                append(pending, into: &out)
            } else if let composed = KeyboardLayout.compose(pending, c) {
                append(composed, into: &out)
            } else {
                append(pending, into: &out)
                append(c, into: &out)
            }
            return out
        }
        append(c, into: &out)
        return out
    }

    /// Ends a scan by time: with no terminator after the gap, otherwise drops a stalled partial
    /// scan. Call when poll(2) times out at `deadlineMicros`; `feed` calls it for each event.
    public mutating func flush(now: UInt64) -> [Output] {
        guard let deadline = deadlineMicros, now >= deadline else { return [] }
        var out: [Output] = []
        if options.terminator == .none {
            endScan(into: &out)
        } else {
            if overlongLength == nil {
                counters.incomplete += 1
                out.append(.incomplete(length: buffer.count))
            } else {
                counters.overlong += 1
                out.append(.overlong(length: overlongLength!))
            }
            reset()
        }
        return out
    }

    private mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
        overlongLength = nil
        dead = nil
        altDigits = nil
    }

    private mutating func endScan(into out: inout [Output]) {
        if let pending = dead {
            dead = nil
            append(pending, into: &out)
        }
        if let n = overlongLength {
            counters.overlong += 1
            out.append(.overlong(length: n))
        } else if !buffer.isEmpty {
            var bytes = buffer[...]
            let p = Array(options.prefix.utf8)
            let s = Array(options.suffix.utf8)
            if !p.isEmpty && bytes.starts(with: p) { bytes = bytes.dropFirst(p.count) }
            if !s.isEmpty && bytes.count >= s.count && bytes.suffix(s.count).elementsEqual(s) {
                bytes = bytes.dropLast(s.count)
            }
            if !bytes.isEmpty { out.append(.scan(Array(bytes))) }
        }
        reset()
    }

    private mutating func append(_ c: Character, into out: inout [Output]) {
        let utf8 = Array(String(c).utf8)
        if let n = overlongLength {
            overlongLength = n + utf8.count
            return
        }
        if buffer.count + utf8.count > options.maxLength {
            overlongLength = buffer.count + utf8.count
            buffer.removeAll(keepingCapacity: true)
            return
        }
        buffer += utf8
    }

    /// Ctrl combinations by key position (as scanners send them, whatever the layout): the C0
    /// controls of ASCII, e.g. Ctrl+] → GS (0x1D), the GS1 field separator.
    private func control(for code: UInt16) -> Character? {
        switch code {
        case KeyCode.leftBrace: return "\u{1B}"
        case KeyCode.backslash: return "\u{1C}"
        case KeyCode.rightBrace: return "\u{1D}"
        case 7: return "\u{1E}"  // Ctrl+6 (Ctrl+^)
        case KeyCode.minus: return "\u{1F}"  // Ctrl+_
        case 3: return "\u{00}"  // Ctrl+2 (Ctrl+@)
        default:
            guard let c = layout.character(code: code, shifted: false, altGr: false)?.0,
                let a = c.asciiValue, a >= 0x61, a <= 0x7A
            else { return nil }
            return Character(Unicode.Scalar(a - 0x60))
        }
    }
}
