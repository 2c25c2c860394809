import GatewayCore
import XCTest

final class FloodMonitorTests: XCTestCase {
    static let s: UInt64 = 1_000_000_000
    /// Readers start long after boot; nothing may assume time 0.
    static let t0: UInt64 = 7_000 * s

    enum Input: Equatable {
        case scan
        case noise(bytes: Int)
    }

    /// What came out, in order, with the time of the call that produced it.
    enum Out: Equatable {
        case genuine(index: Int)
        case noise(FloodMonitor.Noise, at: UInt64)
        case started(FloodMonitor.Episode, at: UInt64)
        case ended(FloodMonitor.Episode, at: UInt64)
    }

    /// Feeds the inputs as a reader would: ticking whenever the monitor's deadline comes before
    /// the next input, then ticking up to `end` and finishing there.
    func drive(
        _ inputs: [(at: UInt64, Input)],
        settings: FloodMonitor.Settings = .init(rate: 500, seconds: 2),
        end: UInt64? = nil,
        finish: Bool = true
    ) -> [Out] {
        var m = FloodMonitor(settings: settings)
        var out: [Out] = []
        func record(_ actions: [FloodMonitor.Action], at t: UInt64) {
            for a in actions {
                switch a {
                case .noise(let n): out.append(.noise(n, at: t))
                case .floodStarted(let e): out.append(.started(e, at: t))
                case .floodEnded(let e): out.append(.ended(e, at: t))
                }
            }
        }
        func tick(until t: UInt64) {
            while let d = m.deadlineNanos, d <= t {
                record(m.tick(monotonicNanos: d), at: d)
            }
        }
        for (i, (t, input)) in inputs.enumerated() {
            tick(until: t)
            switch input {
            case .scan:
                record(m.scan(monotonicNanos: t), at: t)
                out.append(.genuine(index: i))
            case .noise(let bytes):
                record(m.noise(bytes: bytes, monotonicNanos: t, wallNanos: Int64(t)), at: t)
            }
        }
        let last = end ?? (inputs.last?.at ?? Self.t0)
        tick(until: last)
        if finish { record(m.finish(monotonicNanos: last), at: last) }
        return out
    }

    /// `rates[k]` inputs spread evenly over second k from t0.
    func seconds(_ rates: [Int], _ input: Input = .scan) -> [(at: UInt64, Input)] {
        rates.enumerated().flatMap { k, n in
            (0..<n).map { j in (Self.t0 + UInt64(k) * Self.s + UInt64(j) * (Self.s / UInt64(n)), input) }
        }
    }

    func episodes(_ out: [Out]) -> [String] {
        out.compactMap {
            switch $0 {
            case .started: return "started"
            case .ended: return "ended"
            default: return nil
            }
        }
    }

    // MARK: noise

    func testNoiseWithinASecondIsOneEventCarryingTheCountAndSize() {
        let inputs = (0..<1000).map { (Self.t0 + UInt64($0) * 500_000, Input.noise(bytes: 7)) }
        let out = drive(inputs, end: Self.t0 + 2 * Self.s, finish: false)
        guard case .noise(let n, let at) = out.first, out.count == 1 else { return XCTFail("\(out)") }
        XCTAssertEqual(n.lines, 1000)
        XCTAssertEqual(n.bytes, 7000)
        XCTAssertEqual(n.firstMonotonicNanos, Self.t0)
        XCTAssertEqual(n.firstWallNanos, Int64(Self.t0))
        XCTAssertEqual(n.lastMonotonicNanos, Self.t0 + 999 * 500_000)
        XCTAssertEqual(at, Self.t0 + Self.s, "delivered when its second is over, not later")
        XCTAssertEqual(n.misread.format, "noise")
        XCTAssertTrue(n.misread.reason.hasPrefix("1000 lines, 7000 bytes within 1 s"), n.misread.reason)
    }

    func testNoiseOverThreeSecondsIsThreeEvents() {
        let out = drive(seconds([100, 100, 100], .noise(bytes: 3)))
        let counts = out.compactMap { if case .noise(let n, _) = $0 { return n.lines } else { return nil } }
        XCTAssertEqual(counts, [100, 100, 100])
    }

    func testAGenuineScanDeliversPendingNoiseFirstAndStaysInOrder() {
        let t = Self.t0
        let out = drive([
            (t, .noise(bytes: 5)), (t + 10, .noise(bytes: 5)), (t + 20, .scan), (t + 30, .noise(bytes: 9)),
            (t + 40, .scan), (t + 50, .scan),
        ])
        XCTAssertEqual(out.count, 5)
        guard case .noise(let a, t + 20) = out[0], case .genuine(2) = out[1], case .noise(let b, t + 40) = out[2],
            case .genuine(4) = out[3], case .genuine(5) = out[4]
        else { return XCTFail("\(out)") }
        XCTAssertEqual([a.lines, a.bytes, b.lines, b.bytes], [2, 10, 1, 9])
    }

    func testFinishDeliversPendingNoise() {
        var m = FloodMonitor(settings: .init(rate: 500, seconds: 2))
        XCTAssertNil(m.deadlineNanos, "nothing to wait for")
        XCTAssertEqual(m.noise(bytes: 4, monotonicNanos: Self.t0, wallNanos: 1), [])
        XCTAssertEqual(m.deadlineNanos, Self.t0 + Self.s)
        XCTAssertEqual(m.tick(monotonicNanos: Self.t0 + Self.s - 1), [])
        guard case .noise(let n) = m.finish(monotonicNanos: Self.t0 + 5).first else { return XCTFail() }
        XCTAssertEqual(n.lines, 1)
        XCTAssertNil(m.pendingNoise)
        XCTAssertNil(m.deadlineNanos)
    }

    // MARK: floods

    func testAtTheRateNeverFloods() {
        XCTAssertEqual(episodes(drive(seconds(Array(repeating: 500, count: 10)))), [])
    }

    func testSustainedFloodWarnsOnceAndEndsAfterAsManyCalmSeconds() {
        let out = drive(seconds([600, 600, 600, 600, 600]), end: Self.t0 + 20 * Self.s, finish: false)
        XCTAssertEqual(episodes(out), ["started", "ended"])
        guard case .started(let s, let startedAt) = out.first(where: { if case .started = $0 { true } else { false } }),
            case .ended(let e, let endedAt) = out.last
        else { return XCTFail("\(out)") }
        XCTAssertEqual(startedAt, Self.t0 + 2 * Self.s, "after two flooded seconds, not before")
        XCTAssertEqual(s.startMonotonicNanos, Self.t0)
        XCTAssertNil(s.endMonotonicNanos)
        XCTAssertEqual([s.scans, s.peakRate, s.lastRate], [1200, 600, 600])
        XCTAssertEqual(endedAt, Self.t0 + 7 * Self.s, "two calm seconds after the last flooded one")
        XCTAssertEqual(e.endMonotonicNanos, Self.t0 + 5 * Self.s)
        XCTAssertEqual([e.scans, e.noiseLines, e.peakRate], [3000, 0, 600])
    }

    func testNoiseCountsTowardsTheRateAndTheEpisode() {
        let out = drive(seconds([700, 700, 700], .noise(bytes: 1)), end: Self.t0 + 10 * Self.s)
        XCTAssertEqual(episodes(out), ["started", "ended"])
        guard case .ended(let e, _) = out.last else { return XCTFail("\(out)") }
        XCTAssertEqual([e.scans, e.noiseLines], [2100, 2100])
        let noise = out.compactMap { if case .noise(let n, _) = $0 { return n.lines } else { return nil } }
        XCTAssertEqual(noise.reduce(0, +), 2100)
        XCTAssertLessThanOrEqual(noise.count, 4)
    }

    func testOneFloodedSecondOrAlternatingSecondsStartNoEpisode() {
        XCTAssertEqual(episodes(drive(seconds([5000]), end: Self.t0 + 9 * Self.s)), [])
        XCTAssertEqual(episodes(drive(seconds([600, 100, 600, 100, 600, 100, 600]), end: Self.t0 + 9 * Self.s)), [])
        XCTAssertEqual(
            episodes(
                drive(
                    seconds([600, 0, 600, 0, 600]),
                    settings: .init(rate: 500, seconds: 1),
                    end: Self.t0 + 9 * Self.s
                )
            ),
            ["started", "ended", "started", "ended", "started", "ended"],
            "one flooded second is an episode when flood_seconds = 1"
        )
    }

    func testOneCalmSecondDoesNotEndAnEpisode() {
        let out = drive(seconds([600, 600, 600, 100, 600, 600]), end: Self.t0 + 20 * Self.s)
        XCTAssertEqual(episodes(out), ["started", "ended"])
        guard case .ended(let e, _) = out.last else { return XCTFail("\(out)") }
        XCTAssertEqual(e.scans, 3000, "the calm second's scans are not the flood's")
        XCTAssertEqual(e.endMonotonicNanos, Self.t0 + 6 * Self.s)
    }

    func testFinishEndsAnEpisodeUnderWay() {
        var m = FloodMonitor(settings: .init(rate: 2, seconds: 1))
        for k in 0..<3 { _ = m.scan(monotonicNanos: Self.t0 + UInt64(k)) }
        guard case .floodStarted = m.tick(monotonicNanos: Self.t0 + Self.s).first else { return XCTFail() }
        XCTAssertTrue(m.isFlooding)
        XCTAssertEqual(m.deadlineNanos, Self.t0 + 2 * Self.s, "a flood's seconds are judged as they close")
        _ = m.scan(monotonicNanos: Self.t0 + Self.s + 5)
        guard case .floodEnded(let e) = m.finish(monotonicNanos: Self.t0 + Self.s + 10).first else { return XCTFail() }
        XCTAssertEqual(e.endMonotonicNanos, Self.t0 + Self.s + 10)
        XCTAssertEqual(e.scans, 4, "the second under way was read during the flood")
        XCTAssertFalse(m.isFlooding)
    }

    // MARK: properties

    /// Random streams of genuine scans and noise, in bursts and pauses: nothing is lost, the
    /// order holds, noise is delivered on time and coalesced, episodes alternate.
    func testPropertiesOnRandomStreams() {
        var rng = SplitMix64(seed: 0xF100D)
        for round in 0..<100 {
            var t = Self.t0 + rng.next() % Self.s
            var inputs: [(at: UInt64, Input)] = []
            for _ in 0..<Int(rng.next() % 20) {
                // A burst: up to 2000 inputs, 1 µs to 5 ms apart, mostly noise or mostly scans.
                let noisy = rng.next() % 100
                for _ in 0..<Int(rng.next() % 2000) {
                    t += 1_000 + rng.next() % 5_000_000
                    inputs.append((t, rng.next() % 100 < noisy ? .noise(bytes: Int(1 + rng.next() % 300)) : .scan))
                }
                t += rng.next() % (4 * Self.s)
            }
            let rate = Int(50 + rng.next() % 800)
            let out = drive(inputs, settings: .init(rate: rate, seconds: Int(1 + rng.next() % 3)))
            let context = "round \(round)"

            // Every genuine scan once, in order; between two of them, noise events sum to the
            // noise lines read between them.
            var noiseSince = 0
            var delivered = 0
            var expectIndex = 0
            var events = 0
            for o in out {
                switch o {
                case .genuine(let i):
                    while expectIndex < i {
                        if case .noise = inputs[expectIndex].1 { noiseSince += 1 }
                        expectIndex += 1
                    }
                    XCTAssertEqual(inputs[i].1, .scan, context)
                    XCTAssertEqual(delivered, noiseSince, "noise before scan \(i), \(context)")
                    expectIndex = i + 1
                    (noiseSince, delivered) = (0, 0)
                case .noise(let n, let at):
                    delivered += n.lines
                    events += 1
                    XCTAssertLessThan(n.lastMonotonicNanos - n.firstMonotonicNanos, Self.s, context)
                    XCTAssertLessThanOrEqual(at, n.firstMonotonicNanos + Self.s, "late, \(context)")
                case .started, .ended: break
                }
            }
            noiseSince += inputs[expectIndex...].filter { $0.1 != .scan }.count
            XCTAssertEqual(delivered, noiseSince, "noise after the last scan, \(context)")

            let genuine = inputs.filter { $0.1 == .scan }.count
            let span = ((inputs.last?.at ?? 0) - (inputs.first?.at ?? 0)) / Self.s
            XCTAssertLessThanOrEqual(events, genuine + Int(span) + 1, "coalesced, \(context)")

            let e = episodes(out)
            XCTAssertEqual(e, Array(repeating: ["started", "ended"], count: e.count / 2).flatMap { $0 }, context)
        }
    }
}
