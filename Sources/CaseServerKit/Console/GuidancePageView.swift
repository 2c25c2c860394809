import GatewayCore

/// The guidance page's values: the catalogue's entries (the policy's, then the built-in ones)
/// and the links the server recorded per event type, with a promote form on each "similar"
/// link for the users who may promote (`ConsolePageScope.promotesGuidance`). Pure.
public enum GuidancePageView {
    public static func values(
        catalog: GuidanceCatalog,
        links: [GuidanceLink],
        user: ConsoleUser,
        csrf: String,
        promoted: String?
    ) -> [String: Any] {
        let t = user.catalog
        let promotes = ConsolePageScope.promotesGuidance(user)
        var v: [String: Any] = [
            "entries": catalog.entries.map { e -> [String: Any] in
                [
                    "type": e.type.description, "id": e.guidance.id, "title": e.guidance.title,
                    "text": e.guidance.text, "steps": e.guidance.steps,
                ]
            },
            "links": links.map { l -> [String: Any] in
                [
                    "type": l.type, "guidanceID": l.guidanceID,
                    "title": catalog.guidance(id: l.guidanceID)?.title ?? "",
                    "howLabel": t.strings["guidance.how_\(l.how)"] ?? l.how,
                    "similar": l.how == "similar", "similarTo": l.similarTo ?? "",
                    "shared": (l.shared ?? "").split(separator: ",").map {
                        t.strings["guidance.shared_\($0)"] ?? String($0)
                    }
                    .joined(separator: t["case.list_separator"]),
                    "linked": ConsolePageText.dateTime(l.linkedAtNanos, user),
                    "promotable": promotes && l.how == "similar",
                ]
            },
            "csrf": csrf,
        ]
        v["hasLinks"] = !links.isEmpty
        if let promoted { v["promoted"] = t.format("guidance.promoted", ["type": promoted]) }
        return v
    }
}
