/// What a key produces on one keyboard layout: the characters of the base, Shift and AltGr
/// levels, and which of them are dead keys (accents that combine with the next key).
///
/// Keyboard-wedge scanners type as a keyboard set to some layout; the reader must decode the
/// key codes with the same layout the scanner was programmed for, or `Z` and `Y` swap (de),
/// digits need Shift (fr), and `@`/`"` trade places (uk). The tables follow the Linux console
/// and X11 layouts of the same names for the keys a label can contain.
public struct KeyboardLayout: Sendable {
    public let name: String
    let base: [UInt16: Character]
    let shift: [UInt16: Character]
    let altGr: [UInt16: Character]
    let deadBase: Set<UInt16>
    let deadShift: Set<UInt16>

    /// Key codes of the main block in the order the layout strings list them:
    /// grave, 1…=, q…], a…', the key left of Enter on ISO boards (43), the ISO key left of Z
    /// (86, KEY_102ND), z…/.
    static let order: [UInt16] = [41] + Array(2...13) + Array(16...27) + Array(30...40) + [43, 86] + Array(44...53)

    init(
        name: String,
        base: String,
        shift: String,
        altGr: [UInt16: Character] = [:],
        deadBase: Set<UInt16> = [],
        deadShift: Set<UInt16> = []
    ) {
        let b = Array(base)
        let s = Array(shift)
        precondition(
            b.count == Self.order.count && s.count == Self.order.count,
            "layout \(name): \(b.count)/\(s.count) keys"
        )
        var bm: [UInt16: Character] = [57: " "]
        var sm: [UInt16: Character] = [57: " "]
        for (i, code) in Self.order.enumerated() {
            if b[i] != "\u{0}" { bm[code] = b[i] }
            if s[i] != "\u{0}" { sm[code] = s[i] }
        }
        // Keypad (Num Lock on, as scanners assume): the same on every layout.
        let keypad: [UInt16: Character] = [
            71: "7", 72: "8", 73: "9", 74: "-", 75: "4", 76: "5", 77: "6", 78: "+",
            79: "1", 80: "2", 81: "3", 82: "0", 83: ".", 55: "*", 98: "/",
        ]
        for (k, v) in keypad {
            bm[k] = v
            sm[k] = v
        }
        self.name = name
        self.base = bm
        self.shift = sm
        self.altGr = altGr
        self.deadBase = deadBase
        self.deadShift = deadShift
    }

    public static let us = KeyboardLayout(
        name: "us",
        base: "`1234567890-=qwertyuiop[]asdfghjkl;'\\<zxcvbnm,./",
        shift: "~!@#$%^&*()_+QWERTYUIOP{}ASDFGHJKL:\"|>ZXCVBNM<>?"
    )

    public static let uk = KeyboardLayout(
        name: "uk",
        base: "`1234567890-=qwertyuiop[]asdfghjkl;'#\\zxcvbnm,./",
        shift: "¬!\"£$%^&*()_+QWERTYUIOP{}ASDFGHJKL:@~|ZXCVBNM<>?",
        altGr: [5: "€", 41: "¦"]
    )

    public static let de = KeyboardLayout(
        name: "de",
        base: "^1234567890ß´qwertzuiopü+asdfghjklöä#<yxcvbnm,.-",
        shift: "°!\"§$%&/()=?`QWERTZUIOPÜ*ASDFGHJKLÖÄ'>YXCVBNM;:_",
        altGr: [
            3: "²", 4: "³", 8: "{", 9: "[", 10: "]", 11: "}", 12: "\\", 16: "@", 18: "€", 27: "~", 86: "|", 50: "µ",
        ],
        deadBase: [41, 13],
        deadShift: [13]
    )

    public static let fr = KeyboardLayout(
        name: "fr",
        base: "²&é\"'(-è_çà)=azertyuiop^$qsdfghjklmù*<wxcvbn,;:!",
        shift: "\u{0}1234567890°+AZERTYUIOP¨£QSDFGHJKLM%µ>WXCVBN?./§",
        altGr: [
            3: "~", 4: "#", 5: "{", 6: "[", 7: "|", 8: "`", 9: "\\", 10: "^", 11: "@", 12: "]", 13: "}", 18: "€",
            27: "¤",
        ],
        deadBase: [26],
        deadShift: [26]
    )

    public static let all: [String: KeyboardLayout] = ["us": .us, "uk": .uk, "gb": .uk, "de": .de, "fr": .fr]

    public static func named(_ name: String) -> KeyboardLayout? { all[name.lowercased()] }

    /// The character of a key at a level, and whether it is a dead key there.
    func character(code: UInt16, shifted: Bool, altGr useAltGr: Bool) -> (Character, dead: Bool)? {
        if useAltGr {
            return altGr[code].map { ($0, false) }
        }
        if shifted {
            return shift[code].map { ($0, deadShift.contains(code)) }
        }
        return base[code].map { ($0, deadBase.contains(code)) }
    }

    /// Dead key + next character, as the layouts' compose tables do for Latin letters.
    static func compose(_ accent: Character, _ c: Character) -> Character? {
        let table: [Character: (String, String)] = [
            "^": ("aeiouAEIOU", "âêîôûÂÊÎÔÛ"),
            "´": ("aeiouyAEIOUY", "áéíóúýÁÉÍÓÚÝ"),
            "`": ("aeiouAEIOU", "àèìòùÀÈÌÒÙ"),
            "¨": ("aeiouyAEIOU", "äëïöüÿÄËÏÖÜ"),
        ]
        guard let (from, to) = table[accent], let i = from.firstIndex(of: c) else { return nil }
        return to[to.index(to.startIndex, offsetBy: from.distance(from: from.startIndex, to: i))]
    }
}
