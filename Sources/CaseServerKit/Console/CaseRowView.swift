import GatewayCore

/// One row of the case list, as its template (`case_row`) and the change feed render it: the
/// case's state, object, site, age and the insurer rows the user may see.
public enum CaseRowView {
    public static func values(
        _ c: CaseChange,
        user: ConsoleUser,
        sites: ConsolePageSites,
        nowNanos: Int64
    ) -> [String: Any] {
        let t = user.catalog
        let site = sites.forDevice(c.device)
        return [
            "ref": c.ref,
            "state": c.state,
            "stateLabel": ConsolePageText.caseState(c.state, t),
            "final": c.final,
            "version": String(c.updatedAtNanos),
            "schema": c.schema.isEmpty ? t["pages.no_schema"] : c.schema,
            "subject": c.subject,
            "site": site?.name ?? t["pages.unassigned"],
            "age": ConsolePageText.age(c.openedAtNanos, now: nowNanos, t),
            "opened": ConsolePageText.dateTime(c.openedAtNanos, user),
            "insurers": ConsolePageScope.visibleInsurers(user, c.insurers).map { i -> [String: Any] in
                ["name": i.name, "state": i.state, "stateLabel": ConsolePageText.insurerState(i.state, t)]
            },
        ]
    }

    /// The row's HTML, for the change feed (the page inserts or replaces it as is).
    public static func html(_ c: CaseChange, user: ConsoleUser, sites: ConsolePageSites, nowNanos: Int64) -> String {
        ConsoleTemplates.render("case_row", values(c, user: user, sites: sites, nowNanos: nowNanos), user: user)
    }
}
