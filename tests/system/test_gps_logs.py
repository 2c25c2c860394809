"""Receivers' own logs from gpsd's regression set (tests/system/data/gpsd/README.md), replayed by
gpsfake through a real gpsd and read by gatewayd through libgps: the fix sequence each log
implies, as gatewayd's events carry it.

Each log is replayed in a loop (gpsfake without -1, so gatewayd's connect time does not matter)
while a scan every 0.2 s samples the location an event gets. gpsd 3.22 moves a date that lies
before its own build forward by 1024 weeks (its GPS week-rollover guard), so the fix times are
the logs' dates or 1024 weeks later; either way years from the system clock. The fix policy does
not judge a fix by its GPS time (its age is measured on the monotonic clock from its arrival), so
such a fix is still the location, and the event's clock says it cannot be trusted.
"""
import datetime
import time
from pathlib import Path

from harness import free_port, wait_for
from test_gps import GPSFake, by_text, config

DATA = Path(__file__).parent / "data" / "gpsd"
ROLLOVER = datetime.timedelta(weeks=1024)


def replay(site, log, cycle):
    fake = GPSFake(site, DATA / log, cycle=cycle).start()
    config(site, fake.port)
    site.start_server()
    gw = site.start_gateway()
    wait_for(lambda: "gpsd connected" in site.log(), 20, "gpsd")
    return fake, gw


def sample(site, seconds, every=0.2, until=None, limit=120):
    """Scans every `every` s for at least `seconds`, then on (up to `limit` s) until `until`,
    given the fix sequence so far (see `runs`), holds; the events in scan order.

    Under a loaded machine gpsfake and gpsd can take a while to start feeding fixes, so a
    fixed sampling window can close before the log's sequence shows: the test then waits for
    what it asserts rather than for a count of scans."""
    n, start = 0, time.monotonic()
    checked = start
    while True:
        site.scan(f"ACME-{n}")
        n += 1
        time.sleep(every)
        elapsed = time.monotonic() - start
        if elapsed < seconds:
            continue
        if until is None or elapsed >= limit:
            break
        if time.monotonic() - checked >= 2:
            checked = time.monotonic()
            if until(runs(fixes_of(collect(site, n)))):
                break
    return collect(site, n)


def collect(site, n):
    wait_for(lambda: len(site.events()["events"]) >= n, 60, f"{n} events")
    ev = by_text(site)
    return [ev[f"ACME-{i}"] for i in range(n)]


def fixes_of(events):
    return [e["location"]["fix"] for e in events]


def contains(seq, part):
    return any(seq[i:i + len(part)] == part for i in range(len(seq)))


def runs(values):
    """Consecutive equal values collapsed: none none 2d 3d 3d → none 2d 3d."""
    out = []
    for v in values:
        if not out or out[-1] != v:
            out.append(v)
    return out


def dates(day):
    """The log's date, or gpsd's rollover guard's 1024 weeks later."""
    d = datetime.date.fromisoformat(day)
    return {d.isoformat(), (d + ROLLOVER).isoformat()}


def assert_untrusted_clock(events, min_days):
    for e in events:
        c = e["clock"]
        assert c["reference"] == "gps" and c["trusted"] is False, c
        assert abs(c["skew_ms"]) > min_days * 86_400_000, c


def assert_explicit_no_fix(events):
    for e in events:
        loc = e["location"]
        assert "lat" not in loc and "lon" not in loc, loc
        assert loc["reason"] in {"gpsd reports no fix", "no fix received from gpsd"}, loc


def test_cold_start_to_a_3d_fix(site):
    """mtk-3301.log: a MediaTek receiver from power-up. No fix (its first GGA even carries a
    placeholder position, 89.6 N 0 E, with quality 0), then two GGA epochs with a position but
    no RMC yet (gpsd: a 2D fix with no time), then RMC and a 3D fix at Enschede."""
    fake, gw = replay(site, "mtk-3301.log", cycle=0.25)
    assert "libgps.so.28" in Path(f"/proc/{gw.pid}/maps").read_text(), "libgps is loaded with [gps]"
    events = sample(site, 30, until=lambda seq: contains(seq, ["none", "2d", "3d"]))
    fake.stop()
    fixes = fixes_of(events)
    seq = runs(fixes)
    assert contains(seq, ["none", "2d", "3d"]), seq
    assert set(seq) == {"none", "2d", "3d"}, seq
    assert_explicit_no_fix([e for e in events if e["location"]["fix"] == "none"])
    for e in events:
        loc = e["location"]
        if loc["fix"] == "none":
            continue
        assert abs(loc["lat"] - 52.2163) < 1e-3 and abs(loc["lon"] - 6.8850) < 1e-3, loc
        if loc["fix"] == "2d":
            assert "alt" not in loc, loc
        else:
            assert loc["fix_time"][:10] in dates("2008-08-23") and loc["fix_time"][11:17] == "08:14:", loc
            # 102.9 m in the GGA; gpsd 3.22 re-derives MSL from its own geoid model (≈ 100.2 m).
            assert abs(loc["alt"] - 102.9) < 5, loc
    # The first pass's 2D fixes come before any RMC: gpsd has no date for them, and gatewayd
    # makes none up. (When the log starts over, gpsd dates the GGA epochs from the last RMC.)
    first_2d = fixes.index("2d")
    end = next((i for i in range(first_2d, len(fixes)) if fixes[i] != "2d"), len(fixes))
    first_run = [e["location"] for e in events[first_2d:end]]
    assert first_run and all("fix_time" not in loc for loc in first_run), first_run
    assert_untrusted_clock([e for e in events if e["location"].get("fix_time")], 300)


def test_a_2d_only_receiver_after_the_week_rollover(site):
    """april6_2019.log: a Telit HE910 that sends RMC only (no altitude, ever: 2D at best), just
    after the April 2019 GPS week rollover: no fix, then a fix whose date is garbage ("2208-1":
    gpsd keeps the position and drops the time), then one dated 22 Aug 1999 — 1024 weeks early,
    which gpsd 3.22 moves to 7 Apr 2019."""
    fake, _ = replay(site, "april6_2019.log", cycle=1.0)
    events = sample(site, 12, until=lambda seq: contains(seq, ["none", "2d"]))
    fake.stop()
    seq = runs(fixes_of(events))
    assert "3d" not in seq and "2d" in seq and "none" in seq, seq
    assert contains(seq, ["none", "2d"]), seq
    assert_explicit_no_fix([e for e in events if e["location"]["fix"] == "none"])
    two_d = [e["location"] for e in events if e["location"]["fix"] == "2d"]
    assert all(abs(loc["lat"] - 48.4833) < 1e-3 and abs(loc["lon"] - 0.3667) < 1e-3 and "alt" not in loc
               for loc in two_d), two_d
    timed = [loc["fix_time"] for loc in two_d if "fix_time" in loc]
    assert timed and any("fix_time" not in loc for loc in two_d), two_d
    assert {t[:19] for t in timed} == {"2019-04-07T00:02:31"}, timed
    assert_untrusted_clock([e for e in events if e["location"].get("fix_time")], 365)


def test_a_receiver_whose_time_jumps_back(site):
    """humminbird-M37.log: a boat's receiver whose clock jumps back 13 s mid-track (19:41:24 to
    19:41:11) while its position moves on. The fix stays a fix: its age is counted from its
    arrival, not from its GPS time, so a backward step in GPS time neither loses nor ages it."""
    fake, _ = replay(site, "humminbird-M37.log", cycle=0.1)
    events = sample(site, 24)
    fake.stop()
    located = [e["location"] for e in events if e["location"]["fix"] != "none"]
    first = next(i for i, e in enumerate(events) if e["location"]["fix"] != "none")
    assert all(e["location"]["fix"] != "none" for e in events[first:]), runs([e["location"]["fix"] for e in events])
    assert {loc["fix"] for loc in located} <= {"2d", "3d"} and "3d" in {loc["fix"] for loc in located}
    assert all(loc.get("fix_time", "")[:10] in dates("2006-09-16") for loc in located), located
    jumps = [(a, b) for a, b in zip(located, located[1:])
             if a["fix_time"][11:19] == "19:41:24" and b["fix_time"][11:19] in {"19:41:11", "19:41:12", "19:41:13"}]
    assert jumps, [loc["fix_time"][11:19] for loc in located]
    for a, b in jumps:
        # A fresh 3D fix across the step, on the east-bound track (never back west).
        assert b["fix"] == "3d" and b["age_ms"] < 3000 and b["lon"] >= a["lon"], (a, b)
    assert_untrusted_clock(events[first:], 100)


def test_shared_memory(site):
    """gpsd = "shm": the same fixes through gpsd's shared-memory export (gpsfake's gpsd exports
    under a key of its own, GPSD_SHM_KEY, which libgps reads too). No socket: gatewayd calls gpsd
    connected at its first snapshot, and when gpsd goes the fix ages out as on the socket."""
    from test_gps import LAT, LON, REAL_TIME, nmea_log
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    fake = GPSFake(site, nmea_log(site.root / "3d.nmea", 3, now, n=300), cycle=REAL_TIME).start()
    config(site, fake.port)
    cfg = site.root / "gatewayd.toml"
    cfg.write_text(cfg.read_text().replace(f'gpsd = "127.0.0.1:{fake.port}"', 'gpsd = "shm"'))
    site.start_server()
    site.start_gateway(env_extra={"GPSD_SHM_KEY": "0x4770%04X" % fake.port})
    wait_for(lambda: "gpsd connected" in site.log(), 20, "gpsd's shared memory")
    assert "gpsd=shared memory" in site.log(), site.log()[-2000:]
    time.sleep(2)
    site.scan("ACME-1")
    loc = site.wait_events(1)[0]["location"]
    assert loc["fix"] == "3d" and abs(loc["lat"] - LAT) < 2e-4 and abs(loc["lon"] - LON) < 2e-4, loc
    assert loc["satellites"] == 8 and loc["age_ms"] < 3000, loc
    fake.stop()
    wait_for(lambda: "gpsd connection lost; reconnecting" in site.log(), 30, "the silence")
    site.scan("ACME-2")
    wait_for(lambda: "ACME-2" in by_text(site), 20, "ACME-2")
    loc2 = by_text(site)["ACME-2"]["location"]
    assert loc2["fix"] == "none" and "lat" not in loc2 and "old" in loc2["reason"], loc2
