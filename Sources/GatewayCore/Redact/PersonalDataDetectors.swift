/// Detectors of personal data in scanned text; the `Redactor` runs them for its detector rules.
/// Each finds spans with a validity check where the format has one, so that plain numbers are
/// not taken for identity or card numbers:
/// - PRC resident identity numbers: 18 characters with the ISO 7064 MOD 11-2 check character
///   (GB 11643-1999) and a real birth date; the 15-digit legacy form with a real date;
/// - mainland mobile numbers (1[3-9] + 9 digits, optionally +86/0086) and E.164 numbers (+ and
///   8–15 digits);
/// - payment card numbers: 13–19 digits (spaces or dashes allowed between groups) passing Luhn;
/// - e-mail addresses.
///
/// Full-width forms (U+FF01…U+FF5E, the ideographic space), which Chinese input methods produce
/// and a label printer keeps, are folded to ASCII first, one character for one, so that a
/// detection's offsets are offsets in the original text.
///
/// Every test a detector makes is about ASCII (digits, letters, `+`, `@`, …), so the text is
/// first turned into one byte per `Character`: its folded ASCII value, or `nonASCII`. For the
/// usual scan — ASCII without a CR, where characters and UTF-8 bytes are one to one — that is
/// the UTF-8 itself, and no `Character` is ever made (walking `Character`s and asking for their
/// Unicode properties was a fifth of gatewayd's CPU in a capture burst).
public enum PersonalDataKind: String, Sendable, Codable, CaseIterable {
    case prcID = "prc_id"
    case mobileCN = "mobile_cn"
    case e164
    case paymentCard = "payment_card"
    case email
}

public struct Detection: Sendable, Equatable {
    public var kind: PersonalDataKind
    /// Offsets in the text's characters.
    public var range: Range<Int>
}

public enum PersonalDataDetectors {
    /// The code of a character that is not ASCII after folding: no detector's class holds it.
    static let nonASCII: UInt8 = 0x80

    public static func detect(_ text: String) -> [Detection] {
        detect(codes: codes(text))
    }

    /// One byte per character of `text`: the folded character's ASCII value (CR LF, one
    /// character, reads as LF), else `nonASCII`.
    static func codes(_ text: String) -> [UInt8] {
        let utf8 = text.utf8
        if !utf8.contains(where: { $0 >= 0x80 || $0 == 0x0D }) { return Array(utf8) }
        return text.map { fold($0).asciiValue ?? nonASCII }
    }

    static func detect(codes c: [UInt8]) -> [Detection] {
        var out: [Detection] = []
        var i = 0
        // No e-mail address starts before this index: a run of local-part characters that
        // ends without "@" rules out every start inside it (keeps long text linear).
        var noEmailBefore = 0
        while i < c.count {
            var mail: Detection?
            if i >= noEmailBefore {
                let (d, runEnd) = email(c, i)
                mail = d
                if d == nil { noEmailBefore = runEnd }
            }
            if let d = prcID(c, i) ?? mail ?? phone(c, i) ?? card(c, i) {
                if d.kind != .email && insideHexToken(c, d.range) {
                    // "E2801160600002…": an RFID TID or EPC in hex, not a number in words.
                    i = d.range.upperBound
                    continue
                }
                out.append(d)
                i = d.range.upperBound
            } else {
                i += 1
            }
        }
        return out
    }

    /// Full-width ASCII variants and the ideographic space to their ASCII forms; others as-is.
    public static func fold(_ ch: Character) -> Character {
        guard ch.unicodeScalars.count == 1, let u = ch.unicodeScalars.first else { return ch }
        switch u.value {
        case 0xFF01...0xFF5E: return Character(Unicode.Scalar(u.value - 0xFF01 + 0x21)!)
        case 0x3000: return " "
        default: return ch
        }
    }

    public static func fold(_ s: String) -> String { String(s.map(fold)) }

    static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
    static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }
    static func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || isLetter(b) }
    static func isHexDigit(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20) &- 0x61 < 6 }

    /// The letters and digits around `r` form one token made only of hex digits, with at least
    /// one letter: a hex identifier (RFID TID, EPC, MAC), in which digit runs mean nothing.
    /// "TEL13812345678" and "ID11010519491231002X" have letters outside A–F and stay numbers.
    static func insideHexToken(_ c: [UInt8], _ r: Range<Int>) -> Bool {
        var lo = r.lowerBound
        var hi = r.upperBound
        while lo > 0 && isAlnum(c[lo - 1]) { lo -= 1 }
        while hi < c.count && isAlnum(c[hi]) { hi += 1 }
        guard lo < r.lowerBound || hi > r.upperBound else { return false }
        let token = c[lo..<hi]
        return token.allSatisfy(isHexDigit) && token.contains(where: isLetter)
    }

    static func digitRun(_ c: [UInt8], _ i: Int) -> Int {
        var j = i
        while j < c.count && isDigit(c[j]) { j += 1 }
        return j - i
    }
    /// A number must not be part of a longer run of digits. Letters may touch it: labels write
    /// "TEL13812345678" and "ID110105…", and in free text over-redacting a serial number costs
    /// less than missing a phone number.
    static func boundaryBefore(_ c: [UInt8], _ i: Int) -> Bool { i == 0 || !isDigit(c[i - 1]) }
    static func boundaryAfter(_ c: [UInt8], _ j: Int) -> Bool { j >= c.count || !isDigit(c[j]) }

    // MARK: PRC resident identity number (GB 11643-1999, ISO 7064 MOD 11-2)

    static let prcWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let prcCheck = Array("10X98765432".utf8)

    public static func prcCheckCharacter(_ first17: [Character]) -> Character? {
        guard first17.count == 17, first17.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Character(Unicode.Scalar(prcCheck(first17.map { $0.asciiValue! })))
    }

    /// The check character's code for 17 ASCII digits.
    static func prcCheck(_ first17: some Collection<UInt8>) -> UInt8 {
        var sum = 0
        for (k, b) in first17.enumerated() { sum += Int(b - 0x30) * prcWeights[k] }
        return prcCheck[sum % 11]
    }

    static func validDate(_ y: Int, _ m: Int, _ d: Int) -> Bool {
        guard (1900...2100).contains(y), (1...12).contains(m), d >= 1 else { return false }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        return d <= [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
    }

    /// The value of a run of ASCII digits.
    static func num(_ c: ArraySlice<UInt8>) -> Int { c.reduce(0) { $0 * 10 + Int($1 - 0x30) } }

    static func prcID(_ c: [UInt8], _ i: Int) -> Detection? {
        guard boundaryBefore(c, i), isDigit(c[i]) else { return nil }
        let run = digitRun(c, i)
        if run == 17, i + 17 < c.count, c[i + 17] | 0x20 == UInt8(ascii: "x") || isDigit(c[i + 17]),
            boundaryAfter(c, i + 18)
        {
            // 17 digits + X
        } else if run == 18, boundaryAfter(c, i + 18) {
        } else if run == 15, boundaryAfter(c, i + 15) {
            guard validDate(1900 + num(c[i + 6..<i + 8]), num(c[i + 8..<i + 10]), num(c[i + 10..<i + 12])) else {
                return nil
            }
            return Detection(kind: .prcID, range: i..<i + 15)
        } else {
            return nil
        }
        let last = isDigit(c[i + 17]) ? c[i + 17] : UInt8(ascii: "X")
        guard validDate(num(c[i + 6..<i + 10]), num(c[i + 10..<i + 12]), num(c[i + 12..<i + 14])),
            prcCheck(c[i..<i + 17]) == last
        else { return nil }
        return Detection(kind: .prcID, range: i..<i + 18)
    }

    // MARK: phone numbers

    static let mobileSecond: ClosedRange<UInt8> = UInt8(ascii: "3")...UInt8(ascii: "9")

    static func phone(_ c: [UInt8], _ i: Int) -> Detection? {
        let plusSign = UInt8(ascii: "+")
        guard boundaryBefore(c, i) || c[i] == plusSign else { return nil }
        var j = i
        var plus = false
        if c[j] == plusSign {
            plus = true
            j += 1
        } else if j + 4 <= c.count, c[j..<j + 4].elementsEqual("0086".utf8) {
            j += 4
        }
        let run = digitRun(c, j)
        let one = UInt8(ascii: "1")
        // Mainland mobile: 11 digits 1[3-9]…, after +86 / 0086 or alone.
        if plus, run == 13, c[j] == UInt8(ascii: "8"), c[j + 1] == UInt8(ascii: "6"), c[j + 2] == one,
            mobileSecond.contains(c[j + 3]),
            boundaryAfter(c, j + 13)
        {
            return Detection(kind: .mobileCN, range: i..<j + 13)
        }
        if !plus, run == 11, c[j] == one, mobileSecond.contains(c[j + 1]), boundaryAfter(c, j + 11) {
            return Detection(kind: .mobileCN, range: i..<j + 11)
        }
        if plus, (8...15).contains(run), c[j] != UInt8(ascii: "0"), boundaryAfter(c, j + run) {
            return Detection(kind: .e164, range: i..<j + run)
        }
        return nil
    }

    // MARK: payment cards (ISO/IEC 7812, Luhn)

    public static func luhn(_ digits: [Int]) -> Bool {
        guard digits.count >= 2 else { return false }
        var sum = 0
        for (k, d) in digits.reversed().enumerated() {
            var v = d
            if k % 2 == 1 {
                v *= 2
                if v > 9 { v -= 9 }
            }
            sum += v
        }
        return sum % 10 == 0
    }

    static func card(_ c: [UInt8], _ i: Int) -> Detection? {
        guard boundaryBefore(c, i), isDigit(c[i]) else { return nil }
        var digits: [Int] = []
        var j = i
        var end = i
        while j < c.count, digits.count < 19 {
            if isDigit(c[j]) {
                digits.append(Int(c[j] - 0x30))
                j += 1
                end = j
            } else if c[j] == UInt8(ascii: " ") || c[j] == UInt8(ascii: "-"), j + 1 < c.count, isDigit(c[j + 1]),
                !digits.isEmpty
            {
                j += 1
            } else {
                break
            }
        }
        guard (13...19).contains(digits.count), boundaryAfter(c, end), (2...6).contains(digits[0]), luhn(digits) else {
            return nil
        }
        return Detection(kind: .paymentCard, range: i..<end)
    }

    // MARK: e-mail

    static func isLocal(_ b: UInt8) -> Bool {
        isAlnum(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "%")
            || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
    }
    static func isDomain(_ b: UInt8) -> Bool { isAlnum(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") }

    /// An address starting at `i`, and where the local-part run from `i` ends (no address can
    /// start inside a run that does not end in "@").
    static func email(_ c: [UInt8], _ i: Int) -> (Detection?, Int) {
        guard isLocal(c[i]), i == 0 || !isLocal(c[i - 1]) else { return (nil, i + 1) }
        var j = i
        while j < c.count && isLocal(c[j]) { j += 1 }
        guard j < c.count, c[j] == UInt8(ascii: "@"), j > i else { return (nil, j) }
        var k = j + 1
        while k < c.count && isDomain(c[k]) { k += 1 }
        let labels = c[j + 1..<k].split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }), labels.last!.count >= 2,
            labels.last!.allSatisfy(isLetter)
        else { return (nil, i + 1) }
        return (Detection(kind: .email, range: i..<k), k)
    }
}
