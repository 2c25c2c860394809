/// The GS1 Application Identifier table (GS1 General Specifications §3.2, the AI summary
/// figure), as the syntax the parser checks: each AI with its components (N = digits, X = the
/// GS1 82-character set, Y = the 39-character set; fixed or `..max` length) and the rules on
/// them (`csum` GS1 check digit, `yymmdd`/`yymmd0` dates, `dec` implied decimal point from the
/// AI's last digit, `iso3166` country codes); `[…]` marks an optional trailing component.
///
/// AIs ending in `n` stand for the ten AIs with that last digit (the decimal-point position).
public enum GS1AITable {
    /// AI, components, title.
    static let source: [(String, String, String)] = [
        ("00", "N18,csum", "SSCC"),
        ("01", "N14,csum", "GTIN"),
        ("02", "N14,csum", "CONTENT"),
        ("03", "N14,csum", "MTO GTIN"),
        ("10", "X..20", "BATCH/LOT"),
        ("11", "N6,yymmd0", "PROD DATE"),
        ("12", "N6,yymmd0", "DUE DATE"),
        ("13", "N6,yymmd0", "PACK DATE"),
        ("15", "N6,yymmd0", "BEST BEFORE"),
        ("16", "N6,yymmd0", "SELL BY"),
        ("17", "N6,yymmd0", "USE BY"),
        ("20", "N2", "VARIANT"),
        ("21", "X..20", "SERIAL"),
        ("22", "X..20", "CPV"),
        ("235", "X..28", "TPX"),
        ("240", "X..30", "ADDITIONAL ID"),
        ("241", "X..30", "CUST. PART No."),
        ("242", "N..6", "MTO VARIANT"),
        ("243", "X..20", "PCN"),
        ("250", "X..30", "SECONDARY SERIAL"),
        ("251", "X..30", "REF. TO SOURCE"),
        ("253", "N13,csum [X..17]", "GDTI"),
        ("254", "X..20", "GLN EXTENSION COMPONENT"),
        ("255", "N13,csum [N..12]", "GCN"),
        ("30", "N..8", "VAR. COUNT"),
        ("310n", "N6,dec", "NET WEIGHT (kg)"), ("311n", "N6,dec", "LENGTH (m)"), ("312n", "N6,dec", "WIDTH (m)"),
        ("313n", "N6,dec", "HEIGHT (m)"), ("314n", "N6,dec", "AREA (m2)"), ("315n", "N6,dec", "NET VOLUME (l)"),
        ("316n", "N6,dec", "NET VOLUME (m3)"), ("320n", "N6,dec", "NET WEIGHT (lb)"), ("321n", "N6,dec", "LENGTH (in)"),
        ("322n", "N6,dec", "LENGTH (ft)"), ("323n", "N6,dec", "LENGTH (yd)"), ("324n", "N6,dec", "WIDTH (in)"),
        ("325n", "N6,dec", "WIDTH (ft)"), ("326n", "N6,dec", "WIDTH (yd)"), ("327n", "N6,dec", "HEIGHT (in)"),
        ("328n", "N6,dec", "HEIGHT (ft)"), ("329n", "N6,dec", "HEIGHT (yd)"), ("330n", "N6,dec", "GROSS WEIGHT (kg)"),
        ("331n", "N6,dec", "LENGTH (m), log"), ("332n", "N6,dec", "WIDTH (m), log"),
        ("333n", "N6,dec", "HEIGHT (m), log"),
        ("334n", "N6,dec", "AREA (m2), log"), ("335n", "N6,dec", "VOLUME (l), log"),
        ("336n", "N6,dec", "VOLUME (m3), log"),
        ("337n", "N6,dec", "KG PER m2"), ("340n", "N6,dec", "GROSS WEIGHT (lb)"),
        ("341n", "N6,dec", "LENGTH (in), log"),
        ("342n", "N6,dec", "LENGTH (ft), log"), ("343n", "N6,dec", "LENGTH (yd), log"),
        ("344n", "N6,dec", "WIDTH (in), log"),
        ("345n", "N6,dec", "WIDTH (ft), log"), ("346n", "N6,dec", "WIDTH (yd), log"),
        ("347n", "N6,dec", "HEIGHT (in), log"),
        ("348n", "N6,dec", "HEIGHT (ft), log"), ("349n", "N6,dec", "HEIGHT (yd), log"),
        ("350n", "N6,dec", "AREA (in2)"),
        ("351n", "N6,dec", "AREA (ft2)"), ("352n", "N6,dec", "AREA (yd2)"), ("353n", "N6,dec", "AREA (in2), log"),
        ("354n", "N6,dec", "AREA (ft2), log"), ("355n", "N6,dec", "AREA (yd2), log"),
        ("356n", "N6,dec", "NET WEIGHT (troy oz)"),
        ("357n", "N6,dec", "NET VOLUME (oz)"), ("360n", "N6,dec", "NET VOLUME (qt)"),
        ("361n", "N6,dec", "NET VOLUME (gal)"),
        ("362n", "N6,dec", "VOLUME (qt), log"), ("363n", "N6,dec", "VOLUME (gal), log"),
        ("364n", "N6,dec", "VOLUME (in3)"),
        ("365n", "N6,dec", "VOLUME (ft3)"), ("366n", "N6,dec", "VOLUME (yd3)"), ("367n", "N6,dec", "VOLUME (in3), log"),
        ("368n", "N6,dec", "VOLUME (ft3), log"), ("369n", "N6,dec", "VOLUME (yd3), log"),
        ("37", "N..8", "COUNT"),
        ("390n", "N..15,dec", "AMOUNT"), ("391n", "N3,iso4217 N..15,dec", "AMOUNT"),
        ("392n", "N..15,dec", "PRICE"), ("393n", "N3,iso4217 N..15,dec", "PRICE"),
        ("394n", "N4,dec", "PRCNT OFF"), ("395n", "N6,dec", "PRICE/UoM"),
        ("400", "X..30", "ORDER NUMBER"),
        ("401", "X..30", "GINC"),
        ("402", "N17,csum", "GSIN"),
        ("403", "X..30", "ROUTE"),
        ("410", "N13,csum", "SHIP TO LOC"), ("411", "N13,csum", "BILL TO"), ("412", "N13,csum", "PURCHASE FROM"),
        ("413", "N13,csum", "SHIP FOR LOC"), ("414", "N13,csum", "LOC No."), ("415", "N13,csum", "PAY TO"),
        ("416", "N13,csum", "PROD/SERV LOC"), ("417", "N13,csum", "PARTY"),
        ("420", "X..20", "SHIP TO POST"),
        ("421", "N3,iso3166 X..9", "SHIP TO POST"),
        ("422", "N3,iso3166", "ORIGIN"),
        ("423", "N3,iso3166 [N..12]", "COUNTRY - INITIAL PROCESS"),
        ("424", "N3,iso3166", "COUNTRY - PROCESS"),
        ("425", "N3,iso3166 [N..12]", "COUNTRY - DISASSEMBLY"),
        ("426", "N3,iso3166", "COUNTRY - FULL PROCESS"),
        ("427", "X..3", "ORIGIN SUBDIVISION"),
        ("4300", "X..35", "SHIP TO COMP"), ("4301", "X..35", "SHIP TO NAME"), ("4302", "X..70", "SHIP TO ADD1"),
        ("4303", "X..70", "SHIP TO ADD2"), ("4304", "X..70", "SHIP TO SUB"), ("4305", "X..70", "SHIP TO LOC"),
        ("4306", "X..70", "SHIP TO REG"), ("4307", "X2", "SHIP TO COUNTRY"), ("4308", "X..30", "SHIP TO PHONE"),
        ("4309", "N20", "SHIP TO GEO"), ("4310", "X..35", "RTN TO COMP"), ("4311", "X..35", "RTN TO NAME"),
        ("4312", "X..70", "RTN TO ADD1"), ("4313", "X..70", "RTN TO ADD2"), ("4314", "X..70", "RTN TO SUB"),
        ("4315", "X..70", "RTN TO LOC"), ("4316", "X..70", "RTN TO REG"), ("4317", "X2", "RTN TO COUNTRY"),
        ("4318", "X..20", "RTN TO POST"), ("4319", "X..30", "RTN TO PHONE"), ("4320", "X..35", "SRV DESCRIPTION"),
        ("4321", "N1", "DANGEROUS GOODS"), ("4322", "N1", "AUTH LEAVE"), ("4323", "N1", "SIG REQUIRED"),
        ("4324", "N10", "NBEF DEL DT"), ("4325", "N10", "NAFT DEL DT"), ("4326", "N6,yymmdd", "REL DATE"),
        ("4330", "N6", "MAX TEMP F"), ("4331", "N6", "MAX TEMP C"), ("4332", "N6", "MIN TEMP F"),
        ("4333", "N6", "MIN TEMP C"),
        ("7001", "N13", "NSN"), ("7002", "X..30", "MEAT CUT"), ("7003", "N10", "EXPIRY TIME"),
        ("7004", "N..4", "ACTIVE POTENCY"), ("7005", "X..12", "CATCH AREA"), ("7006", "N6,yymmdd", "FIRST FREEZE DATE"),
        ("7007", "N6,yymmdd [N..6]", "HARVEST DATE"), ("7008", "X..3", "AQUATIC SPECIES"),
        ("7009", "X..10", "FISHING GEAR TYPE"),
        ("7010", "X..2", "PROD METHOD"), ("7011", "N6,yymmdd [N..4]", "TEST BY DATE"), ("7020", "X..20", "REFURB LOT"),
        ("7021", "X..20", "FUNC STAT"), ("7022", "X..20", "REV STAT"), ("7023", "X..30", "GIAI - ASSEMBLY"),
        ("7030", "N3,iso3166 X..27", "PROCESSOR # 0"), ("7031", "N3,iso3166 X..27", "PROCESSOR # 1"),
        ("7032", "N3,iso3166 X..27", "PROCESSOR # 2"), ("7033", "N3,iso3166 X..27", "PROCESSOR # 3"),
        ("7034", "N3,iso3166 X..27", "PROCESSOR # 4"), ("7035", "N3,iso3166 X..27", "PROCESSOR # 5"),
        ("7036", "N3,iso3166 X..27", "PROCESSOR # 6"), ("7037", "N3,iso3166 X..27", "PROCESSOR # 7"),
        ("7038", "N3,iso3166 X..27", "PROCESSOR # 8"), ("7039", "N3,iso3166 X..27", "PROCESSOR # 9"),
        ("7040", "N1 X3", "UIC+EXT"), ("7041", "X..4", "UFRGT UNIT TYPE"),
        ("710", "X..20", "NHRN PZN"), ("711", "X..20", "NHRN CIP"), ("712", "X..20", "NHRN CN"),
        ("713", "X..20", "NHRN DRN"), ("714", "X..20", "NHRN AIM"), ("715", "X..20", "NHRN NDC"),
        ("716", "X..20", "NHRN AIC"),
        ("7230", "X2 X..28", "CERT # 0"), ("7231", "X2 X..28", "CERT # 1"), ("7232", "X2 X..28", "CERT # 2"),
        ("7233", "X2 X..28", "CERT # 3"), ("7234", "X2 X..28", "CERT # 4"), ("7235", "X2 X..28", "CERT # 5"),
        ("7236", "X2 X..28", "CERT # 6"), ("7237", "X2 X..28", "CERT # 7"), ("7238", "X2 X..28", "CERT # 8"),
        ("7239", "X2 X..28", "CERT # 9"), ("7240", "X..20", "PROTOCOL"), ("7241", "N2", "AIDC MEDIA TYPE"),
        ("7242", "X..25", "VCN"), ("7250", "N8", "DOB"), ("7251", "N12", "DOB TIME"), ("7252", "N1", "BIO SEX"),
        ("7253", "X..40", "FAMILY NAME"), ("7254", "X..40", "GIVEN NAME"), ("7255", "X..10", "SUFFIX"),
        ("7256", "X..90", "FULL NAME"), ("7257", "X..70", "PERSON ADDR"), ("7258", "N1 X1 N1", "BIRTH SEQUENCE"),
        ("7259", "X..40", "BABY"),
        ("8001", "N14", "DIMENSIONS"), ("8002", "X..20", "CMT No."), ("8003", "N14,csum [X..16]", "GRAI"),
        ("8004", "X..30", "GIAI"), ("8005", "N6", "PRICE PER UNIT"), ("8006", "N14,csum N4", "ITIP"),
        ("8007", "X..34", "IBAN"), ("8008", "N8 [N..4]", "PROD TIME"), ("8009", "X..50", "OPTSEN"),
        ("8010", "Y..30", "CPID"), ("8011", "N..12", "CPID SERIAL"), ("8012", "X..20", "VERSION"),
        ("8013", "X..25", "GMN"), ("8014", "X..25", "MUDI"), ("8017", "N18,csum", "GSRN - PROVIDER"),
        ("8018", "N18,csum", "GSRN - RECIPIENT"), ("8019", "N..10", "SRIN"), ("8020", "X..25", "REF No."),
        ("8026", "N14,csum N4", "ITIP CONTENT"), ("8030", "Z..90", "DIGSIG"),
        ("8110", "X..70", "COUPON"), ("8111", "N4", "POINTS"), ("8112", "X..70", "COUPON"),
        ("8200", "X..70", "PRODUCT URL"),
        ("90", "X..30", "INTERNAL"),
        ("91", "X..90", "INTERNAL"), ("92", "X..90", "INTERNAL"), ("93", "X..90", "INTERNAL"),
        ("94", "X..90", "INTERNAL"),
        ("95", "X..90", "INTERNAL"), ("96", "X..90", "INTERNAL"), ("97", "X..90", "INTERNAL"),
        ("98", "X..90", "INTERNAL"),
        ("99", "X..90", "INTERNAL"),
    ]

    /// Two-digit prefixes of AIs whose element strings have a predefined length and need no
    /// FNC1 separator after them (GS1 General Specifications, "Element strings with predefined
    /// length using GS1 Application Identifiers").
    public static let predefinedLengthPrefixes: Set<String> = [
        "00", "01", "02", "03", "04", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20",
        "31", "32", "33", "34", "35", "36", "41",
    ]

    public struct Component: Sendable, Equatable {
        public enum Charset: Sendable { case numeric, cset82, cset39, cset64 }
        public var charset: Charset
        public var min: Int
        public var max: Int
        public var rules: [String]
    }

    public struct Entry: Sendable {
        public let ai: String
        public let title: String
        public let components: [Component]
        /// Implied decimal places (from the AI's last digit) for `dec` AIs.
        public let decimals: Int?
        public var maxLength: Int { components.reduce(0) { $0 + $1.max } }
        public var isFixedLength: Bool { components.allSatisfy { $0.min == $0.max } }
    }

    /// AI → entry, with the `n` AIs expanded.
    public static let entries: [String: Entry] = {
        var t: [String: Entry] = [:]
        for (ai, spec, title) in source {
            let comps = spec.split(separator: " ").map(parseComponent)
            if ai.hasSuffix("n") {
                let stem = String(ai.dropLast())
                for d in 0...9 {
                    t[stem + String(d)] = Entry(ai: stem + String(d), title: title, components: comps, decimals: d)
                }
            } else {
                t[ai] = Entry(ai: ai, title: title, components: comps, decimals: nil)
            }
        }
        return t
    }()

    /// `[…]` marks an optional trailing component (min length 0).
    static func parseComponent(_ spec: Substring) -> Component {
        let optional = spec.hasPrefix("[")
        let s = optional ? spec.dropFirst().dropLast() : spec
        let parts = s.split(separator: ",").map(String.init)
        let head = parts[0]
        let cs: Component.Charset
        switch head.first {
        case "N": cs = .numeric
        case "Y": cs = .cset39
        case "Z": cs = .cset64
        default: cs = .cset82
        }
        let len = head.dropFirst()
        if len.hasPrefix("..") {
            return Component(
                charset: cs,
                min: optional ? 0 : 1,
                max: Int(len.dropFirst(2))!,
                rules: Array(parts.dropFirst())
            )
        }
        let n = Int(len)!
        return Component(charset: cs, min: n, max: n, rules: Array(parts.dropFirst()))
    }

    /// The entry for the AI at the start of `digits`, trying 2, 3 and 4 digits (AIs are
    /// prefix-free in the GS1 table).
    public static func lookup(prefixOf digits: some Collection<Character>) -> Entry? {
        var ai = ""
        for c in digits.prefix(4) {
            ai.append(c)
            if ai.count >= 2, let e = entries[ai] { return e }
        }
        return nil
    }
}
