import Foundation

/// One redaction in progress: the event, its JSON payload if it has one, and the replacements
/// made so far (which later rules must not take for new personal data).
struct RedactionWork {
    var e: CaptureEvent
    let redactor: Redactor
    let originalText: String?
    var payload: Any?
    var payloadChanged = false
    var outputs: [String] = []
    var steps: [RedactionStep] = []
    var fired: [String] = []
    var contentChanged = false
    var rawWithheld = false
    var binaryDetections: [PersonalDataKind]?
    var detected: [String: [Detection]] = [:]

    init(event: CaptureEvent, redactor: Redactor) {
        e = event
        self.redactor = redactor
        originalText = event.text
        if let t = event.text, t.drop(while: \.isWhitespace).first == "{",
            let obj = try? JSONSerialization.jsonObject(with: Data(t.utf8)), obj is [String: Any]
        {
            payload = obj
        }
    }

    /// What the detectors find in `s`, found once per text: each detector rule looks at the
    /// same fields, and most texts pass every rule unchanged.
    mutating func detections(in s: String) -> [Detection] {
        if let known = detected[s] { return known }
        let found = PersonalDataDetectors.detect(s)
        detected[s] = found
        return found
    }

    mutating func fire(
        _ rule: RedactionRule,
        _ field: String,
        _ kind: PersonalDataKind?,
        _ before: String,
        _ after: String
    ) {
        steps.append(
            RedactionStep(
                rule: rule.name,
                field: field,
                kind: kind,
                action: rule.action.name,
                before: before,
                after: after
            )
        )
        if !fired.contains(rule.name) { fired.append(rule.name) }
    }

    // MARK: field rules

    mutating func applyFields(_ rule: RedactionRule) {
        let action = rule.action
        let drop = action == .drop
        var subs: [(String, String)] = []
        func edit(_ value: String, _ field: String) -> String {
            let r = redactor.replacement(for: value, action, kind: nil)
            subs.append((value, r))
            fire(rule, field, nil, value, r)
            return r
        }
        if rule.selects(field: "text"), let t = e.text, !t.isEmpty {
            e.text = edit(t, "text")
            payload = nil
        }
        if rule.selects(field: "subject"), let s = e.tag.subject, !s.isEmpty {
            let r = edit(s, "subject")
            e.tag.subject = drop ? nil : r
        }
        if let gs1 = e.decoded?.gs1 {
            var kept: [GS1Element] = []
            for var el in gs1 {
                if rule.selects(field: "gs1.\(el.ai)"), !el.value.isEmpty {
                    let r = edit(el.value, "gs1.\(el.ai)")
                    if drop { continue }
                    el.value = r
                    el.date = nil
                    el.decimal = nil
                }
                kept.append(el)
            }
            e.decoded?.gs1 = kept
        }
        if var records = e.decoded?.ndef {
            for i in records.indices {
                if rule.selects(field: "ndef.text"), let t = records[i].text, !t.isEmpty {
                    let r = edit(t, "ndef.text")
                    records[i].text = drop ? nil : r
                }
                if rule.selects(field: "ndef.uri"), let u = records[i].uri, !u.isEmpty {
                    let r = edit(u, "ndef.uri")
                    records[i].uri = drop ? nil : r
                }
            }
            e.decoded?.ndef = records
        }
        if let p = payload {
            let before = subs.count
            let edited = Self.mapLeaves(p, path: "payload") { path, leaf in
                guard rule.selects(field: path), !leaf.isEmpty else { return .keep }
                let r = edit(leaf, path)
                return drop ? .drop : .replace(r)
            }
            payload = edited
            if subs.count > before { payloadChanged = true }
        }
        var badgeDone = false
        if rule.selects(field: "badge"), let b = e.decoded?.badge {
            badgeDone = true
            // Every form of the id gets the pseudonym of its printed form, so the same badge
            // read by a 10-hex-digit module and by a Wiegand panel still joins.
            let r = edit(b.display, "badge")
            var aliases = [String(b.card)]
            if let t = e.text, [.em4100, .wiegand].contains(e.decoded?.format) { aliases.append(t) }
            for a in aliases where a != b.display { subs.append((a, r)) }
            e.decoded?.badge = nil
        }
        // An NFC tag's UID can be a person's card: its pseudonym replaces it wherever it occurs
        // (the text of a UID-only tap, the subject a reader's role gave it).
        if rule.selects(field: "nfc.uid"), let uid = e.nfc?.uid, !uid.isEmpty {
            let r = edit(uid, "nfc.uid")
            e.nfc?.uid = r
        }
        if rule.selects(field: "operator"), let o = e.operatorID, !o.isEmpty {
            let r = edit(o, "operator")
            e.operatorID = drop ? nil : r
        }
        // An operator's badge scan: its subject is the operator's identity, and gets the same
        // pseudonym as the `operator` field of the events that follow the sign-in.
        if rule.selects(field: "operator"), !badgeDone, e.tag.kind == .operatorBadge, let s = e.tag.subject, !s.isEmpty
        {
            let r = edit(s, "operator")
            e.tag.subject = drop ? nil : r
        }
        if rule.selects(field: "location"), drop, e.location != nil {
            fire(rule, "location", nil, "(a location)", "(dropped)")
            e.location = nil
        }
        propagate(subs)
    }

    // MARK: detector rules

    mutating func applyDetectors(_ rule: RedactionRule) {
        let kinds = Set(rule.detect)
        var subs: [(String, String)] = []
        let protected = protectedValues()
        func scan(_ s: String, _ field: String, protecting: [String]) {
            let found = detections(in: s).filter { kinds.contains($0.kind) }
            guard !found.isEmpty else { return }
            let chars = Array(s)
            let guarded = Self.characterRanges(of: protecting + outputs, in: chars)
            for d in found {
                // Skip what lies wholly inside a tag id or an earlier replacement; a match that
                // reaches beyond one (a mask's kept "…5678" running into an address) is real.
                if guarded.contains(where: {
                    $0.lowerBound <= d.range.lowerBound && d.range.upperBound <= $0.upperBound
                }) {
                    continue
                }
                let before = String(chars[d.range])
                let r = redactor.replacement(for: before, rule.action, kind: d.kind)
                subs.append((before, r))
                fire(rule, field, d.kind, before, r)
            }
        }
        let format = e.decoded?.format
        if let t = e.text, ![.gtin, .epc, .em4100, .wiegand].contains(format) {
            scan(t, "text", protecting: protected)
        }
        for el in e.decoded?.gs1 ?? [] where Redactor.isFreeTextAI(el.ai) {
            scan(el.value, "gs1.\(el.ai)", protecting: [])
        }
        for rec in e.decoded?.ndef ?? [] {
            if let t = rec.text { scan(t, "ndef.text", protecting: []) }
            if let u = rec.uri { scan(u, "ndef.uri", protecting: []) }
        }
        if let p = payload {
            _ = Self.mapLeaves(p, path: "payload") { path, leaf in
                scan(leaf, path, protecting: [])
                return .keep
            }
        }
        propagate(subs)
        if e.text == nil, !rawWithheld, let raw = e.raw, let bytes = Data(base64Encoded: raw) {
            // A binary scan no decoder understood may still carry text: look at it as ASCII
            // and as UTF-16 in both byte orders (once per event, whatever the number of rules).
            if binaryDetections == nil {
                binaryDetections = Self.binaryViews(Array(bytes)).flatMap {
                    PersonalDataDetectors.detect($0).map(\.kind)
                }
            }
            if let kind = binaryDetections?.first(where: { kinds.contains($0) }) {
                rawWithheld = true
                fire(rule, "raw", kind, "(binary)", "(withheld)")
            }
        }
    }

    /// Tag identifiers detectors must leave alone: values of the GS1 AIs that are not free
    /// text, the EPC, the badge's printed id.
    func protectedValues() -> [String] {
        var out = (e.decoded?.gs1 ?? []).filter { !Redactor.isFreeTextAI($0.ai) }.map(\.value)
        if let epc = e.decoded?.epc { out += [epc.pureIdentityURI, epc.tagURI] }
        if let b = e.decoded?.badge { out.append(b.display) }
        return out.filter { !$0.isEmpty }
    }

    // MARK: coarsening

    mutating func coarsen(_ rule: RedactionRule) {
        switch rule.action {
        case .coarsenLocation(let decimals, let gridM):
            guard rule.selects(field: "location"), let loc = e.location, loc.fix != .none else { return }
            var c = loc
            var cell: Double
            if let decimals {
                let f = pow(10, Double(decimals))
                c.lat = (loc.lat * f).rounded() / f
                c.lon = (loc.lon * f).rounded() / f
                cell = 111_320 / f
            } else {
                let g = gridM ?? 1000
                // Rows of equal height; each row's cells as wide as `g` at the row's centre,
                // so every point of a cell maps to the same centre.
                let latStep = g / 111_320
                c.lat = (loc.lat / latStep).rounded(.down) * latStep + latStep / 2
                let lonStep = g / max(1, 111_320 * cos(c.lat * .pi / 180))
                c.lon = (loc.lon / lonStep).rounded(.down) * lonStep + lonStep / 2
                cell = g
            }
            c.alt = loc.alt.map { ($0 / cell).rounded() * cell }
            c.accuracyM = max(loc.accuracyM ?? 0, cell)
            e.location = c
            fire(rule, "location", nil, "\(loc.lat),\(loc.lon)", "\(c.lat),\(c.lon)")
        case .coarsenTime(let bucket):
            guard rule.selects(field: "captured_at"), let nanos = RFC3339.parseUnixNanos(e.capturedAt) else { return }
            let b = Int64(bucket) * 1_000_000_000
            let floored = nanos - ((nanos % b) + b) % b
            let before = e.capturedAt
            e.capturedAt = RFC3339.format(unixNanos: floored)
            e.monotonicNs -= e.monotonicNs % UInt64(b)
            fire(rule, "captured_at", nil, before, e.capturedAt)
        default:
            return
        }
    }

    // MARK: carrying replacements everywhere

    mutating func propagate(_ subs: [(String, String)]) {
        let subs = subs.filter { !$0.0.isEmpty && $0.0 != $0.1 }.sorted { $0.0.count > $1.0.count }
        guard !subs.isEmpty else { return }
        contentChanged = true
        let protectedGS1 = Set((e.decoded?.gs1 ?? []).filter { !Redactor.isFreeTextAI($0.ai) }.map(\.value))
        let outs = outputs
        func apply(_ s: String) -> String {
            subs.reduce(s) { Self.replaceAll(in: $0, $1.0, with: $1.1, sparing: outs) }
        }
        e.text = e.text.map(apply)
        e.tag.subject = e.tag.subject.map(apply)
        e.operatorID = e.operatorID.map(apply)
        if let gs1 = e.decoded?.gs1 {
            e.decoded?.gs1 = gs1.map { el in
                guard !protectedGS1.contains(el.value) else { return el }
                var el = el
                let v = apply(el.value)
                if v != el.value {
                    el.value = v
                    el.date = nil
                    el.decimal = nil
                }
                return el
            }
        }
        if let records = e.decoded?.ndef {
            e.decoded?.ndef = records.map { rec in
                var rec = rec
                rec.text = rec.text.map(apply)
                rec.uri = rec.uri.map(apply)
                return rec
            }
        }
        if let p = payload {
            var changed = false
            payload = Self.mapLeaves(p, path: "payload") { _, leaf in
                let v = apply(leaf)
                guard v != leaf else { return .keep }
                changed = true
                return .replace(v)
            }
            if changed { payloadChanged = true }
        }
        outputs += subs.map(\.1).filter { !$0.isEmpty }
    }

    /// Runs the detector rules again until they find nothing more. A replacement can change a
    /// boundary: "…002X3459…" hid an id behind the digit that touched it until a card mask
    /// replaced that digit (the fuzzer found this; two more rounds always suffice there). Only
    /// a replacement can move a boundary: an event nothing changed needs no second look.
    mutating func settle() {
        for _ in 0..<4 where contentChanged {
            let before = steps.count
            for rule in redactor.rules where !rule.detect.isEmpty { applyDetectors(rule) }
            if steps.count == before { break }
        }
    }

    /// Closes the redaction: text from the redacted payload, detector passes over that final
    /// text until they find nothing more (a number too long for JSON's integers reaches the
    /// text only now, and member names — which hold free text too — come back from the
    /// payload as they were, boundaries included), raw from the text or withheld, and the
    /// names of the rules that fired.
    mutating func finish() {
        if payloadChanged, let p = payload,
            let data = try? JSONSerialization.data(withJSONObject: p, options: [.sortedKeys, .withoutEscapingSlashes])
        {
            e.text = String(decoding: data, as: UTF8.self)
            payload = nil
            let format = e.decoded?.format
            if ![.gtin, .epc, .em4100, .wiegand].contains(format) {
                for rule in redactor.rules where !rule.detect.isEmpty { applyDetectors(rule) }
                settle()
            }
        }
        if originalText != nil {
            if e.text != originalText { e.raw = e.text.map { Data($0.utf8).base64EncodedString() } }
        } else if contentChanged || rawWithheld {
            e.raw = nil
        }
        guard !fired.isEmpty else {
            e.redactions = nil
            return
        }
        let order = Dictionary(redactor.rules.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        e.redactions = fired.sorted { order[$0, default: 0] < order[$1, default: 0] }
    }

    // MARK: helpers

    enum LeafEdit {
        case keep, drop
        case replace(String)
    }

    /// Walks a JSON value; `edit` sees each string or number leaf with its dotted path
    /// (`payload.owner.phone`; array elements share their array's path).
    static func mapLeaves(_ v: Any, path: String, _ edit: (String, String) -> LeafEdit) -> Any {
        if let obj = v as? [String: Any] {
            var out: [String: Any] = [:]
            for (k, child) in obj {
                let p = path + "." + k
                if child is [String: Any] || child is [Any] {
                    out[k] = mapLeaves(child, path: p, edit)
                    continue
                }
                guard let leaf = leafString(child) else {
                    out[k] = child
                    continue
                }
                switch edit(p, leaf) {
                case .keep: out[k] = child
                case .drop: break
                case .replace(let s): out[k] = s
                }
            }
            return out
        }
        if let arr = v as? [Any] {
            return arr.compactMap { child -> Any? in
                if child is [String: Any] || child is [Any] { return mapLeaves(child, path: path, edit) }
                guard let leaf = leafString(child) else { return child }
                switch edit(path, leaf) {
                case .keep: return child
                case .drop: return nil
                case .replace(let s): return s
                }
            }
        }
        return v
    }

    static func leafString(_ v: Any) -> String? {
        if let s = v as? String { return s }
        if let n = v as? NSNumber { return n.stringValue }
        return nil
    }

    /// Every occurrence of `find` in `s` replaced, except wholly inside earlier replacements.
    static func replaceAll(in s: String, _ find: String, with rep: String, sparing: [String]) -> String {
        guard s.contains(find) else { return s }
        let chars = Array(s)
        let f = Array(find)
        let spared = characterRanges(of: sparing, in: chars)
        var out: [Character] = []
        var i = 0
        while i < chars.count {
            if Self.matches(f, in: chars, at: i),
                !spared.contains(where: { $0.lowerBound <= i && i + f.count <= $0.upperBound })
            {
                out += rep
                i += f.count
            } else {
                out.append(chars[i])
                i += 1
            }
        }
        return String(out)
    }

    static func matches(_ f: [Character], in chars: [Character], at i: Int) -> Bool {
        guard !f.isEmpty, i + f.count <= chars.count else { return false }
        for k in 0..<f.count where chars[i + k] != f[k] { return false }
        return true
    }

    static func characterRanges(of values: [String], in chars: [Character]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for v in values where !v.isEmpty {
            let f = Array(v)
            guard f.count <= chars.count else { continue }
            for i in 0...(chars.count - f.count) where matches(f, in: chars, at: i) {
                out.append(i..<i + f.count)
            }
        }
        return out
    }

    /// Binary bytes as text: printable ASCII (others as spaces), and UTF-16 in both byte orders
    /// from even and from odd offsets (UTF-16 text need not start on an even byte).
    static func binaryViews(_ b: [UInt8]) -> [String] {
        let ascii = String(b.map { (0x20...0x7E).contains($0) ? Character(Unicode.Scalar($0)) : " " })
        return [ascii]
            + [b, Array(b.dropFirst())].flatMap { bytes in
                [false, true].map { String(decoding: pairs(bytes, bigEndian: $0), as: UTF16.self) }
            }
    }

    static func pairs(_ b: [UInt8], bigEndian: Bool) -> [UInt16] {
        var out: [UInt16] = []
        var i = 0
        while i + 1 < b.count {
            let hi = UInt16(bigEndian ? b[i] : b[i + 1])
            let lo = UInt16(bigEndian ? b[i + 1] : b[i])
            out.append(hi << 8 | lo)
            i += 2
        }
        return out
    }
}
