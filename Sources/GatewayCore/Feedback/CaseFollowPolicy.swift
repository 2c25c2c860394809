/// When a terminal looks at a shown case again (`GET /v1/cases/{ref}`): soon after it opens,
/// less often while nothing changes, at once again after a change. One pure function, so the
/// schedule is this comment and its test:
///
///     unchanged looks:  0    1    2    3     4     5 …
///     wait (base 2 s):  2 s  4 s  8 s  16 s  30 s  30 s …   (capped at `cap`, 30 s by default)
///
/// A change (state, an insurer's state, a new note) resets the count to 0. A failed look
/// (server unreachable, 5xx) waits as if unchanged, and at least 5 s, so a server that is down
/// is asked at most every `cap`. A final case (resolved, closed) is not looked at again.
public enum CaseFollowPolicy {
    public static func delay(
        unchangedLooks: Int,
        failed: Bool,
        base: Duration = .seconds(2),
        cap: Duration = .seconds(30)
    ) -> Duration {
        let exponent = min(max(0, unchangedLooks), 20)
        var d = base * (1 << exponent)
        if failed { d = max(d, .seconds(5)) }
        return min(d, cap)
    }
}
