/// The capture event's canonical JSON, written directly (`CaptureEvent.jsonBytes()`): the
/// plaintext of every envelope, made once per scan. `JSONEncoder` made the same bytes at about
/// a fifth of gatewayd's CPU in a capture burst. Keys are written in sorted order; a member
/// added to one of these types must be added here too — CaptureEventJSONTests compares with
/// `JSONEncoder` on events whose every optional member is set (and checks that they are).
extension CaptureEvent: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) throws {
        try w.object { o in
            o.string("captured_at", capturedAt)
            try o.value("clock", clock)
            try o.value("decoded", decoded)
            o.string("device", device)
            try o.value("heartbeat", heartbeat)
            o.string("id", id)
            o.string("kind", kind)
            try o.value("location", location)
            o.strings("location_anomalies", locationAnomalies)
            try o.value("misread", misread)
            o.integer("monotonic_ns", monotonicNs)
            try o.value("nfc", nfc)
            o.string("operator", operatorID)
            o.bool("operator_unidentified", operatorUnidentified)
            o.string("raw", raw)
            o.string("reader", reader)
            o.strings("redactions", redactions)
            try o.value("reply", reply)
            o.integer("seq", seq)
            o.string("symbology", symbology)
            try o.value("tag", tag)
            o.string("text", text)
            o.integer("v", v)
        }
    }
}

extension NFCTap: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.object { o in
            o.string("atqa", atqa)
            o.string("sak", sak)
            o.string("type", type.rawValue)
            o.string("uid", uid)
        }
    }
}

extension CaseReply: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.object { o in
            o.string("case", ref)
            o.string("message", message)
        }
    }
}

extension TagClassification: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.object { o in
            o.string("class", kind.rawValue)
            o.string("schema", schema)
            o.string("subject", subject)
        }
    }
}

extension ClockQuality: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.object { o in
            o.string("reference", reference)
            o.integer("skew_ms", skewMs)
            o.bool("trusted", trusted)
        }
    }
}

extension Location: JSONWritable {
    /// As `encode(to:)`: no coordinates at all with `fix = none`.
    public func writeJSON(to w: inout JSONWriter) throws {
        try w.object { o in
            try o.double("accuracy_m", accuracyM)
            o.integer("age_ms", ageMs)
            try o.double("alt", alt)
            o.string("fix", fix.rawValue)
            o.string("fix_time", fixTime)
            try o.double("lat", fix == .none ? nil : lat)
            try o.double("lon", fix == .none ? nil : lon)
            o.string("reason", reason)
            o.integer("satellites", satellites)
            try o.double("vertical_accuracy_m", verticalAccuracyM)
        }
    }
}

extension Misread: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.object { o in
            o.string("format", format)
            o.string("reason", reason)
        }
    }
}

extension Heartbeat: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.object { o in
            o.integer("dead_letters", deadLetters)
            o.string("fix", fix)
            o.integer("interval_s", intervalS)
            o.integer("oldest_age_s", oldestAgeS)
            o.strings("readers", readers)
            o.integer("spool_depth", spoolDepth)
            o.integer("uptime_s", uptimeS)
            o.string("version", version)
        }
    }
}

extension DecodedTag: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) throws {
        try w.object { o in
            try o.value("badge", badge)
            try o.value("epc", epc)
            o.string("format", format.rawValue)
            try o.values("gs1", gs1)
            try o.values("ndef", ndef)
            o.string("symbology", symbology)
            o.string("symbology_name", symbologyName)
        }
    }
}

extension GS1Element: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.object { o in
            o.string("ai", ai)
            o.string("date", date)
            o.string("decimal", decimal)
            o.string("title", title)
            o.string("value", value)
        }
    }
}

extension EPCIdentity: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.object { o in
            o.string("elementString", elementString)
            o.integer("filter", filter)
            o.string("pureIdentityURI", pureIdentityURI)
            o.string("scheme", scheme)
            o.string("tagURI", tagURI)
        }
    }
}

extension BadgeID: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.object { o in
            o.integer("card", card)
            o.string("display", display)
            o.integer("facility", facility)
            o.string("format", format)
        }
    }
}

extension NDEFRecord: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) {
        w.object { o in
            o.string("language", language)
            o.integer("payloadLength", payloadLength)
            o.string("text", text)
            o.integer("tnf", tnf)
            o.string("type", type)
            o.string("uri", uri)
        }
    }
}
