/// The states a case and each insurer on it go through. Plain strings on the wire and in the
/// store, so a site's tools read them without a schema; these lists are what progress accepts.
public enum CaseStates {
    /// A case's states, in their usual order; `resolved` and `closed` end it.
    public static let ofCase = [
        "opened", "insurers_notified", "assessor_assigned", "assessor_on_site", "repair_arranged", "resolved", "closed",
    ]
    /// The states that end a case: a later scan of its object opens a new one.
    public static let ending: Set<String> = ["resolved", "closed"]
    /// One insurer's states.
    public static let ofInsurer = [
        "notified", "acknowledged", "assessor_assigned", "claim_opened", "declined", "settled",
    ]
}
