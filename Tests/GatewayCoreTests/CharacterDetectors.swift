@testable import GatewayCore

/// The detectors as they were first written, walking `Character`s: the reference the byte-code
/// detectors (`PersonalDataDetectors`) must agree with on every input
/// (`PersonalDataDetectorsTests.testByteCodesAgreeWithTheCharacterReference`).
enum CharacterDetectors {
    static func detect(_ text: String) -> [Detection] {
        let c = Array(text).map(fold)
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
    static func fold(_ ch: Character) -> Character {
        guard ch.unicodeScalars.count == 1, let u = ch.unicodeScalars.first else { return ch }
        switch u.value {
        case 0xFF01...0xFF5E: return Character(Unicode.Scalar(u.value - 0xFF01 + 0x21)!)
        case 0x3000: return " "
        default: return ch
        }
    }

    static func fold(_ s: String) -> String { String(s.map(fold)) }

    /// The letters and digits around `r` form one token made only of hex digits, with at least
    /// one letter: a hex identifier (RFID TID, EPC, MAC), in which digit runs mean nothing.
    /// "TEL13812345678" and "ID11010519491231002X" have letters outside A–F and stay numbers.
    static func insideHexToken(_ c: [Character], _ r: Range<Int>) -> Bool {
        func alnum(_ ch: Character) -> Bool { ch.isASCII && (ch.isLetter || ch.isNumber) }
        var lo = r.lowerBound
        var hi = r.upperBound
        while lo > 0 && alnum(c[lo - 1]) { lo -= 1 }
        while hi < c.count && alnum(c[hi]) { hi += 1 }
        guard lo < r.lowerBound || hi > r.upperBound else { return false }
        let token = c[lo..<hi]
        return token.allSatisfy(\.isHexDigit) && token.contains(where: \.isLetter)
    }

    static func isDigit(_ ch: Character) -> Bool { ch.isASCII && ch.isNumber }
    static func digitRun(_ c: [Character], _ i: Int) -> Int {
        var j = i
        while j < c.count && isDigit(c[j]) { j += 1 }
        return j - i
    }
    /// A number must not be part of a longer run of digits. Letters may touch it: labels write
    /// "TEL13812345678" and "ID110105…", and in free text over-redacting a serial number costs
    /// less than missing a phone number.
    static func boundaryBefore(_ c: [Character], _ i: Int) -> Bool { i == 0 || !isDigit(c[i - 1]) }
    static func boundaryAfter(_ c: [Character], _ j: Int) -> Bool { j >= c.count || !isDigit(c[j]) }

    // MARK: PRC resident identity number (GB 11643-1999, ISO 7064 MOD 11-2)

    static let prcWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let prcCheck: [Character] = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]

    static func prcCheckCharacter(_ first17: [Character]) -> Character? {
        guard first17.count == 17, first17.allSatisfy(isDigit) else { return nil }
        var sum = 0
        for (k, ch) in first17.enumerated() { sum += Int(ch.asciiValue! - 48) * prcWeights[k] }
        return prcCheck[sum % 11]
    }

    static func validDate(_ y: Int, _ m: Int, _ d: Int) -> Bool {
        guard (1900...2100).contains(y), (1...12).contains(m), d >= 1 else { return false }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        return d <= [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
    }

    static func num(_ c: ArraySlice<Character>) -> Int { Int(String(c)) ?? -1 }

    static func prcID(_ c: [Character], _ i: Int) -> Detection? {
        guard boundaryBefore(c, i), isDigit(c[i]) else { return nil }
        let run = digitRun(c, i)
        if run == 17, i + 17 < c.count, c[i + 17] == "X" || c[i + 17] == "x" || isDigit(c[i + 17]),
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
        let first17 = Array(c[i..<i + 17])
        guard validDate(num(c[i + 6..<i + 10]), num(c[i + 10..<i + 12]), num(c[i + 12..<i + 14])),
            let check = prcCheckCharacter(first17), Character(c[i + 17].uppercased()) == check
        else { return nil }
        return Detection(kind: .prcID, range: i..<i + 18)
    }

    // MARK: phone numbers

    static func phone(_ c: [Character], _ i: Int) -> Detection? {
        guard boundaryBefore(c, i) || c[i] == "+" else { return nil }
        var j = i
        var plus = false
        if c[j] == "+" {
            plus = true
            j += 1
        } else if j + 4 <= c.count, String(c[j..<j + 4]) == "0086" {
            j += 4
        }
        let run = digitRun(c, j)
        // Mainland mobile: 11 digits 1[3-9]…, after +86 / 0086 or alone.
        if plus, run >= 2, c[j] == "8", c[j + 1] == "6", run == 13, c[j + 2] == "1", "3456789".contains(c[j + 3]),
            boundaryAfter(c, j + 13)
        {
            return Detection(kind: .mobileCN, range: i..<j + 13)
        }
        if !plus, run == 11, c[j] == "1", "3456789".contains(c[j + 1]), boundaryAfter(c, j + 11) {
            return Detection(kind: .mobileCN, range: i..<j + 11)
        }
        if plus, (8...15).contains(run), c[j] != "0", boundaryAfter(c, j + run) {
            return Detection(kind: .e164, range: i..<j + run)
        }
        return nil
    }

    // MARK: payment cards (ISO/IEC 7812, Luhn)

    static func luhn(_ digits: [Int]) -> Bool {
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

    static func card(_ c: [Character], _ i: Int) -> Detection? {
        guard boundaryBefore(c, i), isDigit(c[i]) else { return nil }
        var digits: [Int] = []
        var j = i
        var end = i
        while j < c.count, digits.count < 19 {
            if isDigit(c[j]) {
                digits.append(Int(c[j].asciiValue! - 48))
                j += 1
                end = j
            } else if c[j] == " " || c[j] == "-", j + 1 < c.count, isDigit(c[j + 1]), !digits.isEmpty {
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

    /// An address starting at `i`, and where the local-part run from `i` ends (no address can
    /// start inside a run that does not end in "@").
    static func email(_ c: [Character], _ i: Int) -> (Detection?, Int) {
        func local(_ ch: Character) -> Bool { ch.isASCII && (ch.isLetter || ch.isNumber || "._%+-".contains(ch)) }
        func domain(_ ch: Character) -> Bool { ch.isASCII && (ch.isLetter || ch.isNumber || ch == "-" || ch == ".") }
        guard local(c[i]), i == 0 || !local(c[i - 1]) else { return (nil, i + 1) }
        var j = i
        while j < c.count && local(c[j]) { j += 1 }
        guard j < c.count, c[j] == "@", j > i else { return (nil, j) }
        var k = j + 1
        while k < c.count && domain(c[k]) { k += 1 }
        let host = String(c[j + 1..<k])
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }), labels.last!.count >= 2,
            labels.last!.allSatisfy(\.isLetter)
        else { return (nil, i + 1) }
        return (Detection(kind: .email, range: i..<k), k)
    }
}
