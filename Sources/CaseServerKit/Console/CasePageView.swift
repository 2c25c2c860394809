import GatewayCore

/// The case page's values: the case, its timeline of events, the plot of where its scans were
/// made, each insurer's state and notes, its webhook deliveries, its guidance and the forms to
/// move it — each cut to what the user may see (`ConsolePageScope`). Pure: what the store read
/// in, a template's values out.
public struct CasePageView {
    public var status: CaseStatus
    public var change: CaseChange
    public var events: [StoredEvent]
    public var deliveries: [NotificationRecord]
    public var links: [GuidanceLink]
    public var site: ConsolePageSites.Site?
    public var user: ConsoleUser

    public init(
        status: CaseStatus,
        change: CaseChange,
        events: [StoredEvent],
        deliveries: [NotificationRecord],
        links: [GuidanceLink],
        site: ConsolePageSites.Site?,
        user: ConsoleUser
    ) {
        self.status = status
        self.change = change
        self.events = events
        self.deliveries = deliveries
        self.links = links
        self.site = site
        self.user = user
    }

    /// The events as the terminal sent them (those that do not decode are left out).
    var decoded: [(StoredEvent, CaptureEvent)] {
        events.compactMap { e in (try? CaptureEvent.decode(Array(e.eventJSON.utf8))).map { (e, $0) } }
    }

    public func values(nowNanos: Int64, csrf: String, error: String?) -> [String: Any] {
        let t = user.catalog
        let timeline = decoded.enumerated().map { i, pair in entry(i + 1, pair.0, pair.1, t) }
        let notes = ConsolePageScope.visibleNotes(user, status.notes)
        let insurers = ConsolePageScope.visibleInsurers(user, status.insurers).map { i -> [String: Any] in
            [
                "id": i.id, "name": i.name, "stateLabel": ConsolePageText.insurerState(i.state, t),
                "updated": ConsolePageText.dateTime(i.updatedAt, user), "note": i.note ?? "",
                "notes": notes.filter { $0.insurer == i.id }.map { noteValues($0, t) },
            ]
        }
        let own = user.role == .insurer ? status.insurers.first { $0.id == user.insurer } : nil
        var v: [String: Any] = [
            "ref": status.ref,
            "stateLabel": ConsolePageText.caseState(status.state, t),
            "state": status.state,
            "final": status.final,
            "object": ConsolePageText.object(schema: status.schema, subject: status.subject, t),
            "site": site?.name ?? t["pages.unassigned"],
            "device": change.device,
            "opened": ConsolePageText.dateTime(change.openedAtNanos, user),
            "updated": ConsolePageText.dateTime(change.updatedAtNanos, user),
            "age": ConsolePageText.age(change.openedAtNanos, now: nowNanos, t),
            "timeline": timeline,
            "hasTimeline": !timeline.isEmpty,
            "caseNotes": notes.filter { $0.insurer == nil }.map { noteValues($0, t) },
            "insurers": insurers,
            "hasInsurers": !insurers.isEmpty,
            "deliveries": ConsolePageScope.visibleDeliveries(user, deliveries).map { d -> [String: Any] in
                [
                    "insurer": d.insurer, "event": d.event, "state": d.state.rawValue,
                    "stateLabel": t["case.delivery_\(d.state.rawValue)"], "attempts": d.attempts,
                    "created": ConsolePageText.dateTime(d.createdAtNanos, user),
                    "at": ConsolePageText.dateTime(d.atNanos, user), "lastError": d.lastError ?? "",
                ]
            },
            "csrf": csrf,
        ]
        v["hasDeliveries"] = !((v["deliveries"] as? [Any])?.isEmpty ?? true)
        if let g = status.guidance {
            v["guidance"] = [
                "title": g.title, "text": g.text, "steps": g.steps, "how": guidanceHow(t), "id": g.id,
            ]
        }
        let located = decoded.filter { $0.1.location.map { $0.fix != .none } ?? false }
        let points = decoded.enumerated().compactMap { i, pair -> ScanPlot.Point? in
            guard let l = pair.1.location, l.fix != .none else { return nil }
            return ScanPlot.Point(
                lat: l.lat,
                lon: l.lon,
                accuracyM: l.accuracyM,
                anomalous: !(pair.1.locationAnomalies ?? []).isEmpty,
                label: String(i + 1)
            )
        }
        if let svg = ScanPlot.render(
            areas: site?.areas ?? [],
            points: points,
            words: .init(title: t["case.plot_title"], scale: t["case.plot_scale"])
        ) {
            v["plot"] = svg
        }
        let unlocated = decoded.count - located.count
        if unlocated > 0 { v["unlocated"] = t.format("case.plot_unlocated", ["n": String(unlocated)]) }
        if site?.areas.isEmpty ?? true { v["noGeofence"] = true }
        if ConsolePageScope.movesCases(user) {
            v["caseForm"] = [
                "options": CaseStates.ofCase.map {
                    ["value": $0, "label": ConsolePageText.caseState($0, t), "selected": $0 == status.state]
                }
            ]
        } else if let own {
            v["insurerForm"] = [
                "insurer": own.id,
                "options": CaseStates.ofInsurer.map {
                    ["value": $0, "label": ConsolePageText.insurerState($0, t), "selected": $0 == own.state]
                },
            ]
        }
        if let error { v["error"] = t.strings["case.error_\(error)"] ?? t["case.error_refused"] }
        return v
    }

    /// Whether the case's guidance was configured for its type or taken from a similar one.
    func guidanceHow(_ t: MessageCatalog) -> String {
        guard let first = decoded.first?.1 else { return "" }
        let type = EventType(
            kind: first.tag.kind,
            schema: first.tag.schema,
            scanner: first.operatorID != nil ? .operatorSignedIn : .unidentified
        )
        guard let link = links.first(where: { $0.type == type.description }) else { return "" }
        if link.how == "similar" {
            let shared = (link.shared ?? "").split(separator: ",").map {
                t.strings["guidance.shared_\($0)"] ?? String($0)
            }
            return t.format(
                "case.guidance_similar",
                ["type": link.similarTo ?? "", "shared": shared.joined(separator: t["case.list_separator"])]
            )
        }
        return t["case.guidance_configured"]
    }

    func noteValues(_ n: CaseNote, _ t: MessageCatalog) -> [String: Any] {
        // The server's own notes in the user's words; what a person wrote as they wrote it.
        let known = CaseNoteForm.recognize(n)
        let text = known.form.map { t.format("notes.\($0)", known.args ?? [:]) }
        return [
            "at": ConsolePageText.dateTime(n.at, user), "text": text ?? n.text,
            "stateLabel": n.insurer == nil
                ? ConsolePageText.caseState(n.state, t) : ConsolePageText.insurerState(n.state, t),
        ]
    }

    func entry(_ n: Int, _ stored: StoredEvent, _ e: CaptureEvent, _ t: MessageCatalog) -> [String: Any] {
        var v: [String: Any] = [
            "n": n,
            "device": stored.device,
            "captured": ConsolePageText.dateTime(e.capturedAt, user),
            "received": ConsolePageText.dateTime(stored.receivedAtNanos, user),
            "class": t.strings["case.class_\(e.tag.kind.rawValue)"] ?? e.tag.kind.rawValue,
            "schema": e.tag.schema ?? t["pages.no_schema"],
            "subject": e.tag.subject ?? "",
            "scanner": e.operatorID ?? t["case.unidentified"],
            "unidentified": e.operatorID == nil,
            "anomalies": (e.locationAnomalies ?? []).map { t.strings["case.anomaly_\($0)"] ?? $0 },
            "located": e.location.map { $0.fix != .none } ?? false,
        ]
        v["hasAnomalies"] = !(e.locationAnomalies ?? []).isEmpty
        if let c = e.clock {
            v["clock"] =
                c.trusted
                ? t.format("case.clock_trusted", ["skew": String(c.skewMs ?? 0)])
                : t["case.clock_untrusted"]
            v["clockTrusted"] = c.trusted
        } else {
            v["clock"] = t["case.clock_unknown"]
            v["clockTrusted"] = false
        }
        if let kind = e.kind { v["kind"] = t.strings["case.kind_\(kind)"] ?? kind }
        return v
    }
}
