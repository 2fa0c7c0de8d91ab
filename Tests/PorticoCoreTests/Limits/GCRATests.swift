import PorticoCore
import Testing

struct GCRATests {
    static let ms: Int64 = 1_000_000
    static let second: Int64 = 1_000_000_000

    /// Requests of cost 1 at `now` until the first rejection; returns the allowed ones.
    static func drain(_ gcra: GCRA, tat: inout Int64, now: Int64, limit: Int = 1_000) -> [GCRADecision] {
        var allowed: [GCRADecision] = []
        while allowed.count < limit {
            let decision = gcra.check(tat: &tat, now: now)
            guard decision.allowed else { break }
            allowed.append(decision)
        }
        return allowed
    }

    @Test func tenPerSecondBurstFiveAllowsSixAtOnce() {
        let gcra = GCRA(ratePerSecond: 10, burst: 5)
        #expect(gcra.emissionIntervalNanos == 100 * Self.ms)
        #expect(gcra.toleranceNanos == 500 * Self.ms)
        #expect(gcra.capacity == 6)
        var tat = GCRA.initialTAT
        let allowed = Self.drain(gcra, tat: &tat, now: 0)
        // nginx convention: burst + 1 at once, counting down the remaining ones.
        #expect(allowed.map(\.remaining) == [5, 4, 3, 2, 1, 0])
        #expect(allowed.allSatisfy { $0.retryAfterNanos == 0 })
        #expect(allowed.map(\.resetAfterNanos) == (1...6).map { Int64($0) * 100 * Self.ms })
        #expect(tat == 600 * Self.ms)
    }

    @Test func rejectionReportsRetryAfterAndChangesNothing() {
        let gcra = GCRA(ratePerSecond: 10, burst: 5)
        var tat = GCRA.initialTAT
        _ = Self.drain(gcra, tat: &tat, now: 0)
        let rejected = gcra.check(tat: &tat, now: 0)
        #expect(rejected == GCRADecision(allowed: false, remaining: 0, retryAfterNanos: 100 * Self.ms, resetAfterNanos: 600 * Self.ms))
        #expect(tat == 600 * Self.ms)
        // One nanosecond early: still rejected, with 1 ns to wait.
        let early = gcra.check(tat: &tat, now: 100 * Self.ms - 1)
        #expect(!early.allowed)
        #expect(early.retryAfterNanos == 1)
        #expect(tat == 600 * Self.ms)
        // On time: allowed, and nothing left.
        let onTime = gcra.check(tat: &tat, now: 100 * Self.ms)
        #expect(onTime.allowed)
        #expect(onTime.remaining == 0)
        #expect(onTime.resetAfterNanos == 600 * Self.ms)
    }

    @Test func thenOnePerEmissionInterval() {
        let gcra = GCRA(ratePerSecond: 10, burst: 5)
        var tat = GCRA.initialTAT
        _ = Self.drain(gcra, tat: &tat, now: 0)
        for step in 1...50 {
            let now = Int64(step) * 100 * Self.ms
            #expect(Self.drain(gcra, tat: &tat, now: now).count == 1, "step \(step)")
            #expect(gcra.check(tat: &tat, now: now).retryAfterNanos == 100 * Self.ms)
        }
    }

    @Test func steadyOverloadIsHeldToRatePlusBurst() {
        // A request every millisecond for 10 s: 6 at once, then one per 100 ms.
        let gcra = GCRA(ratePerSecond: 10, burst: 5)
        var tat = GCRA.initialTAT
        var allowed = 0
        for i in 0..<10_000 {
            if gcra.check(tat: &tat, now: Int64(i) * Self.ms).allowed { allowed += 1 }
        }
        #expect(allowed == 6 + 99)
    }

    @Test func bucketRefillsWithTime() {
        let gcra = GCRA(ratePerSecond: 10, burst: 5)
        var tat = GCRA.initialTAT
        _ = Self.drain(gcra, tat: &tat, now: 0)
        // 300 ms later three cells have drained: 3 allowed (remaining counts 2, 1, 0).
        #expect(Self.drain(gcra, tat: &tat, now: 300 * Self.ms).map(\.remaining) == [2, 1, 0])
        // Full again 600 ms after the last TAT: a fresh bucket.
        let full = tat
        #expect(Self.drain(gcra, tat: &tat, now: full).count == 6)
        // Long idle is the same as a new key.
        #expect(Self.drain(gcra, tat: &tat, now: 3_600 * Self.second).count == 6)
    }

    @Test func burstZeroIsStrictlyOnePerInterval() {
        let gcra = GCRA(ratePerSecond: 2, burst: 0)
        var tat = GCRA.initialTAT
        #expect(gcra.check(tat: &tat, now: 0) == GCRADecision(allowed: true, remaining: 0, retryAfterNanos: 0, resetAfterNanos: 500 * Self.ms))
        #expect(gcra.check(tat: &tat, now: 0).retryAfterNanos == 500 * Self.ms)
        #expect(gcra.check(tat: &tat, now: 499 * Self.ms).retryAfterNanos == 1 * Self.ms)
        #expect(gcra.check(tat: &tat, now: 500 * Self.ms).allowed)
    }

    @Test func costTakesSeveralCells() {
        let gcra = GCRA(ratePerSecond: 10, burst: 5)
        var tat = GCRA.initialTAT
        let four = gcra.check(tat: &tat, now: 0, cost: 4)
        #expect(four.allowed)
        #expect(four.remaining == 2)
        // Three more do not fit now; they fit once one cell has drained.
        let three = gcra.check(tat: &tat, now: 0, cost: 3)
        #expect(!three.allowed)
        #expect(three.remaining == 2)
        #expect(three.retryAfterNanos == 100 * Self.ms)
        #expect(gcra.check(tat: &tat, now: 100 * Self.ms, cost: 3).allowed)
    }

    @Test func costAboveCapacityNeverConforms() {
        let gcra = GCRA(ratePerSecond: 10, burst: 5)
        var tat = GCRA.initialTAT
        let decision = gcra.check(tat: &tat, now: 0, cost: 7)
        #expect(!decision.allowed)
        #expect(decision.retryAfterNanos == .max)
        #expect(decision.remaining == 6)
        #expect(tat == GCRA.initialTAT)
        // Exactly the capacity fits a full bucket.
        #expect(gcra.check(tat: &tat, now: 0, cost: 6).allowed)
    }

    @Test func costZeroPeeks() {
        let gcra = GCRA(ratePerSecond: 10, burst: 5)
        var tat = GCRA.initialTAT
        _ = gcra.check(tat: &tat, now: 0, cost: 2)
        let peek = gcra.check(tat: &tat, now: 0, cost: 0)
        #expect(peek.allowed)
        #expect(peek.remaining == 4)
        #expect(tat == 200 * Self.ms)
    }

    @Test func rateConversionAndClamping() {
        #expect(GCRA(ratePerSecond: 3, burst: 0).emissionIntervalNanos == 333_333_333)
        #expect(GCRA(ratePerSecond: 1.0 / 60, burst: 0).emissionIntervalNanos == 60 * Self.second)
        #expect(GCRA(ratePerSecond: 1e12, burst: 0).emissionIntervalNanos == 1)
        #expect(GCRA(ratePerSecond: 0, burst: 0).emissionIntervalNanos == GCRA.maxEmissionIntervalNanos)
        #expect(GCRA(ratePerSecond: -5, burst: 0).emissionIntervalNanos == GCRA.maxEmissionIntervalNanos)
        #expect(GCRA(ratePerSecond: .nan, burst: 0).emissionIntervalNanos == GCRA.maxEmissionIntervalNanos)
        #expect(GCRA(ratePerSecond: 10, burst: -3).burst == 0)
        // A huge burst saturates instead of overflowing, and still limits.
        let huge = GCRA(ratePerSecond: 0, burst: .max)
        #expect(huge.horizonNanos == .max)
        var tat = GCRA.initialTAT
        #expect(huge.check(tat: &tat, now: 0).allowed)
    }

    // MARK: - delay= (nginx)

    /// Decisions for `count` requests at `now` on a fresh key.
    static func delayTable(burst: Int, delay: Int, count: Int = 7) -> [GCRADelayDecision] {
        let gcra = GCRA(ratePerSecond: 10, burst: burst)
        var tat = GCRA.initialTAT
        return (0..<count).map { _ in gcra.checkWithDelay(tat: &tat, now: 0, delayThreshold: delay) }
    }

    @Test func delayThresholdTable() {
        let d = { (n: Int64) in GCRADelayDecision.delay(nanos: n * 100 * Self.ms) }
        let reject = GCRADelayDecision.reject(retryAfterNanos: 100 * Self.ms)
        // burst=5 delay=2: the conforming request + 2 excess pass, 3 more are paced, then rejected.
        #expect(Self.delayTable(burst: 5, delay: 2) == [.allow, .allow, .allow, d(1), d(2), d(3), reject])
        // delay=0 (nginx default without nodelay): every excess request is paced.
        #expect(Self.delayTable(burst: 5, delay: 0) == [.allow, d(1), d(2), d(3), d(4), d(5), reject])
        // delay >= burst is nodelay.
        #expect(Self.delayTable(burst: 5, delay: 5) == [.allow, .allow, .allow, .allow, .allow, .allow, reject])
        #expect(Self.delayTable(burst: 5, delay: 100) == Self.delayTable(burst: 5, delay: 5))
        // burst=0: nothing to delay, the second request is rejected.
        #expect(Self.delayTable(burst: 0, delay: 0, count: 2) == [.allow, reject])
    }

    @Test func delayedRequestsAreCountedAndShrinkWithTime() {
        let gcra = GCRA(ratePerSecond: 10, burst: 5)
        var tat = GCRA.initialTAT
        for _ in 0..<6 { _ = gcra.checkWithDelay(tat: &tat, now: 0, delayThreshold: 2) }
        #expect(tat == 600 * Self.ms)
        // 250 ms later the TAT is 350 ms ahead; the next one lands 450 ms ahead, 150 ms
        // past the 300 ms that pass at once.
        #expect(gcra.checkWithDelay(tat: &tat, now: 250 * Self.ms, delayThreshold: 2) == .delay(nanos: 150 * Self.ms))
        // 2.5 cells had drained: one more fits (paced further), the next is over the burst.
        #expect(gcra.checkWithDelay(tat: &tat, now: 250 * Self.ms, delayThreshold: 2) == .delay(nanos: 250 * Self.ms))
        #expect(gcra.checkWithDelay(tat: &tat, now: 250 * Self.ms, delayThreshold: 2) == .reject(retryAfterNanos: 50 * Self.ms))
        #expect(tat == 800 * Self.ms)
        // And the delay variant agrees with `check` on what is allowed.
        var plain = GCRA.initialTAT
        var delayed = GCRA.initialTAT
        for i in 0..<2_000 {
            let now = Int64(i) * 7 * Self.ms
            let a = gcra.check(tat: &plain, now: now).allowed
            let b = gcra.checkWithDelay(tat: &delayed, now: now, delayThreshold: 3)
            if case .reject = b { #expect(!a) } else { #expect(a) }
        }
        #expect(plain == delayed)
    }
}
