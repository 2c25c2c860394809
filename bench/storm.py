#!/usr/bin/env python3
"""Reconnect storm model (issue 6): a fleet of gateways loses the case server at the same moment
and the server returns DOWN seconds later. Each gateway retries on gatewayd's schedule — the
pure function in Sources/GatewayCore/Forward/Backoff.swift:

    ceiling(n) = min(cap, base * 2**n)      n = failures so far
    delay(n)   = uniform(0, ceiling(n))      full jitter

An attempt while the server is down fails at once (connection refused). We record when each
gateway's first attempt after the return arrives, and print arrivals per second at the server:
the peak second and how long until 50/95/100% of the fleet is back. The same fleet without
jitter (delay = ceiling) is shown for contrast: it arrives in lock-step.

Usage: bench/storm.py [--gateways 200] [--down 300] [--base 0.5] [--cap 60] [--seed 1]
"""
import argparse
import collections
import random


def first_after(down, base, cap, rng, jitter=True, offset=0.0):
    """Time of this gateway's first attempt at or after `down`."""
    t, n = offset, 0
    while t < down:
        ceiling = min(cap, base * 2 ** n)
        t += rng.uniform(0, ceiling) if jitter else ceiling
        n += 1
    return t


def summary(name, times, down):
    per_second = collections.Counter(int(t - down) for t in times)
    peak_s, peak = max(per_second.items(), key=lambda kv: kv[1])
    ordered = sorted(t - down for t in times)
    q = lambda p: ordered[min(len(ordered) - 1, int(p * len(ordered)))]
    print(f"{name:>12}: peak {peak:4d} arrivals in one second (second {peak_s}); "
          f"back: 50% {q(0.5):6.1f}s  95% {q(0.95):6.1f}s  100% {ordered[-1]:6.1f}s after the server returned")
    return peak


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gateways", type=int, default=200)
    ap.add_argument("--down", type=float, default=300)
    ap.add_argument("--base", type=float, default=0.5)
    ap.add_argument("--cap", type=float, default=60)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    print(f"{a.gateways} gateways, server down {a.down:.0f}s, backoff base {a.base}s cap {a.cap}s")
    # All lose the server within the same 100 ms (a cell tower, a server restart).
    jitter = [first_after(a.down, a.base, a.cap, rng, True, rng.uniform(0, 0.1)) for _ in range(a.gateways)]
    lockstep = [first_after(a.down, a.base, a.cap, rng, False, rng.uniform(0, 0.1)) for _ in range(a.gateways)]
    summary("full jitter", jitter, a.down)
    summary("no jitter", lockstep, a.down)


if __name__ == "__main__":
    main()
