/// The case server's answers written directly (`EnvelopeResults.jsonBytes()`): the same bytes
/// `JSONEncoder` with sorted keys makes of them (JSONWriterTests), keys in sorted order.
extension Guidance: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) throws {
        w.object { o in
            o.string("id", id)
            o.string("match", match)
            o.string("similar_to", similarTo)
            o.strings("steps", steps)
            o.string("text", text)
            o.string("title", title)
        }
    }
}

extension CaseInfo: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) throws {
        try w.object { o in
            try o.values("insurers", insurers)
            o.bool("opened", opened)
            o.string("ref", ref)
            o.string("state", state)
        }
    }
}

extension InsurerStatus: JSONWritable {
    public func writeJSON(to w: inout JSONWriter) throws {
        w.object { o in
            o.string("id", id)
            o.string("name", name)
            o.string("note", note)
            o.string("state", state)
            o.string("updated_at", updatedAt)
        }
    }
}
