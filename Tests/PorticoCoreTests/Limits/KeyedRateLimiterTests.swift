import PorticoCore
import Testing

struct KeyedRateLimiterTests {
    static let ms: Int64 = 1_000_000
    static let second: Int64 = 1_000_000_000
    static let tenPerSecond = GCRA(ratePerSecond: 10, burst: 5)

    static func allowedCount(_ limiter: KeyedRateLimiter, key: UInt64, now: Int64, attempts: Int = 100) -> Int {
        (0..<attempts).filter { _ in limiter.check(key: key, now: now).allowed }.count
    }

    @Test func keysAreIndependent() {
        let limiter = KeyedRateLimiter(gcra: Self.tenPerSecond, maxKeys: 1_000)
        let a = StableHash.hash("198.51.100.7")
        let b = StableHash.hash("203.0.113.9")
        #expect(Self.allowedCount(limiter, key: a, now: 0) == 6)
        #expect(Self.allowedCount(limiter, key: b, now: 0) == 6)
        let rejected = limiter.check(key: a, now: 50 * Self.ms)
        #expect(!rejected.allowed)
        #expect(rejected.retryAfterNanos == 50 * Self.ms)
        #expect(limiter.check(key: a, now: 100 * Self.ms).allowed)
        #expect(limiter.trackedKeys == 2)
    }

    @Test func sameDecisionsAsGCRA() {
        let limiter = KeyedRateLimiter(gcra: Self.tenPerSecond, maxKeys: 16)
        var tat = GCRA.initialTAT
        for i in 0..<500 {
            let now = Int64(i) * 37 * Self.ms / 10
            #expect(limiter.check(key: 1, now: now) == Self.tenPerSecond.check(tat: &tat, now: now))
        }
        var delayed = GCRA.initialTAT
        for i in 0..<500 {
            let now = 10 * Self.second + Int64(i) * 23 * Self.ms / 10
            let expected = Self.tenPerSecond.checkWithDelay(tat: &delayed, now: now, delayThreshold: 2)
            #expect(limiter.checkWithDelay(key: 2, now: now, delayThreshold: 2) == expected)
        }
    }

    @Test func oneKeyFromFourThreadsGetsTheRateOnce() {
        // 4 threads × 5,000 requests, the clock advancing 0.1 ms per request: 2 s in all.
        // At 1,000/s with burst 10 the key may get at most 2 s × 1,000 + 11 in total,
        // however the threads interleave (each allowed request moves the TAT 1 ms, and the
        // TAT never runs more than 11 ms past the latest clock reading).
        let limiter = KeyedRateLimiter(gcra: GCRA(ratePerSecond: 1_000, burst: 10), maxKeys: 1_024)
        let clock = SharedManualClock()
        let allowed = SharedCounter()
        onThreads(4) { _ in
            var mine = 0
            for _ in 0..<5_000 {
                if limiter.check(key: 42, now: clock.tick(100_000)).allowed { mine += 1 }
            }
            allowed.add(mine)
        }
        #expect(clock.now == 2 * Self.second)
        #expect(allowed.current <= 2_011)
        #expect(allowed.current >= 1_900)
    }

    @Test func manyKeysFromFourThreadsEachGetTheirRate() {
        let keys = (0..<8).map { StableHash.hash("client-\($0)") }
        let limiter = KeyedRateLimiter(gcra: GCRA(ratePerSecond: 100, burst: 4), maxKeys: 1_024)
        let clock = SharedManualClock()
        let counts = (0..<8).map { _ in SharedCounter() }
        onThreads(4) { thread in
            var mine = [Int](repeating: 0, count: 8)
            for i in 0..<5_000 {
                let k = (i + thread) % 8
                if limiter.check(key: keys[k], now: clock.tick(100_000)).allowed { mine[k] += 1 }
            }
            for k in 0..<8 { counts[k].add(mine[k]) }
        }
        // Each key: 2,500 requests over 2 s against 100/s + burst 4: at most 205.
        for counter in counts {
            #expect(counter.current <= 205)
            #expect(counter.current >= 185)
        }
        #expect(limiter.trackedKeys == 8)
    }

    @Test func idleKeysAreSweptAndBehaveAsNew() {
        let limiter = KeyedRateLimiter(gcra: Self.tenPerSecond, maxKeys: 10_000)
        for i in 0..<1_000 {
            _ = limiter.check(key: StableHash.mix(UInt64(i) + 1), now: 0)
        }
        #expect(limiter.trackedKeys == 1_000)
        // TAT = 100 ms: nothing is idle a nanosecond before, everything at 100 ms.
        #expect(limiter.sweep(now: 100 * Self.ms - 1) == 0)
        #expect(limiter.sweep(now: 100 * Self.ms) == 1_000)
        #expect(limiter.trackedKeys == 0)
        // An exhausted key that went idle starts over with a full bucket, swept or not.
        #expect(Self.allowedCount(limiter, key: 7, now: Self.second) == 6)
        #expect(Self.allowedCount(limiter, key: 7, now: Self.second + 600 * Self.ms) == 6)
    }

    @Test func idleKeysExpireLazilyUnderTraffic() {
        let limiter = KeyedRateLimiter(gcra: Self.tenPerSecond, maxKeys: 10_000, shards: 1)
        for i in 0..<2_000 {
            _ = limiter.check(key: StableHash.mix(UInt64(i) + 1), now: Int64(i) * 1_000)
        }
        #expect(limiter.trackedKeys == 2_000)
        // Later traffic on a few keys sweeps a couple of slots per request: enough
        // requests to pass over every table forget all the idle keys, with no sweep call.
        for i in 0..<20_000 {
            _ = limiter.check(key: UInt64(i % 3), now: Self.second + Int64(i) * Self.ms)
        }
        #expect(limiter.trackedKeys <= 3)
        #expect(limiter.forcedEvictions == 0)
    }

    @Test func fullShardEvictsTheOldestTATFirst() {
        // One shard of 4 keys; rate 1/s, burst 9 (capacity 10).
        let limiter = KeyedRateLimiter(gcra: GCRA(ratePerSecond: 1, burst: 9), maxKeys: 4, shards: 1)
        #expect(limiter.maxKeys == 4)
        #expect(limiter.check(key: 1, now: 0, cost: 1).allowed)  // TAT 1 s
        #expect(limiter.check(key: 2, now: 0, cost: 4).allowed)  // TAT 4 s
        #expect(limiter.check(key: 3, now: 0, cost: 10).allowed)  // TAT 10 s: limited
        #expect(limiter.check(key: 4, now: 0, cost: 2).allowed)  // TAT 2 s
        #expect(!limiter.check(key: 3, now: 0).allowed)

        // A fifth key: nothing is idle, so the oldest TAT (key 1) goes.
        #expect(limiter.check(key: 5, now: 0).allowed)
        #expect(limiter.trackedKeys == 4)
        #expect(limiter.forcedEvictions == 1)
        #expect(limiter.storedTAT(key: 1) == nil)
        #expect(limiter.storedTAT(key: 3) == 10 * Self.second)

        // A spray of new keys churns among the least-limited entries; the limited key
        // stays limited and memory never exceeds the cap.
        for k in UInt64(100)..<UInt64(1_100) {
            _ = limiter.check(key: k, now: 0)
            #expect(limiter.trackedKeys <= 4)
        }
        #expect(limiter.storedTAT(key: 3) == 10 * Self.second)
        #expect(limiter.storedTAT(key: 2) == 4 * Self.second)
        #expect(!limiter.check(key: 3, now: 0).allowed)
    }

    @Test func idleKeysGoBeforeAnyForcedEviction() {
        let limiter = KeyedRateLimiter(gcra: GCRA(ratePerSecond: 1, burst: 9), maxKeys: 4, shards: 1)
        _ = limiter.check(key: 1, now: 0, cost: 1)  // TAT 1 s
        _ = limiter.check(key: 2, now: 0, cost: 4)  // TAT 4 s
        _ = limiter.check(key: 3, now: 0, cost: 10)  // TAT 10 s
        _ = limiter.check(key: 4, now: 0, cost: 2)  // TAT 2 s
        // At 2.5 s keys 1 and 4 are idle: two new keys take their places, and nothing
        // live is evicted.
        #expect(limiter.check(key: 5, now: 2_500 * Self.ms).allowed)
        #expect(limiter.check(key: 6, now: 2_500 * Self.ms).allowed)
        #expect(limiter.forcedEvictions == 0)
        #expect(limiter.trackedKeys == 4)
        #expect(limiter.storedTAT(key: 1) == nil)
        #expect(limiter.storedTAT(key: 4) == nil)
        #expect(limiter.storedTAT(key: 2) == 4 * Self.second)
        #expect(limiter.storedTAT(key: 3) == 10 * Self.second)
        // A third has to evict a live key: one of the two newest (TAT 3.5 s), not 2 or 3.
        #expect(limiter.check(key: 7, now: 2_500 * Self.ms).allowed)
        #expect(limiter.forcedEvictions == 1)
        #expect(limiter.trackedKeys == 4)
        #expect((limiter.storedTAT(key: 5) == nil) != (limiter.storedTAT(key: 6) == nil))
        #expect(limiter.storedTAT(key: 2) == 4 * Self.second)
        #expect(limiter.storedTAT(key: 3) == 10 * Self.second)
    }

    @Test func evictionComesInBatchesOfTheOldest() {
        // 256 keys per shard: batches of 256 / 64 = 4.
        let limiter = KeyedRateLimiter(gcra: GCRA(ratePerSecond: 1.0 / 60, burst: 0), maxKeys: 256, shards: 1)
        for i in 0..<256 {
            #expect(limiter.check(key: UInt64(1_000 + i), now: Int64(i) * Self.ms).allowed)
        }
        #expect(limiter.check(key: 1, now: Self.second).allowed)
        #expect(limiter.forcedEvictions == 4)
        #expect(limiter.trackedKeys == 253)
        for i in 0..<256 {
            #expect((limiter.storedTAT(key: UInt64(1_000 + i)) == nil) == (i < 4), "key \(i)")
        }
    }

    @Test func floodOfNewKeysStaysWithinTheCap() {
        // Rate 1/min: nothing goes idle during the flood.
        let limiter = KeyedRateLimiter(gcra: GCRA(ratePerSecond: 1.0 / 60, burst: 2), maxKeys: 1_000, shards: 16)
        #expect(limiter.maxKeys == 992)
        let limited = StableHash.hash("limited")
        #expect(limiter.check(key: limited, now: 0, cost: 3).allowed)
        for i in 0..<20_000 {
            _ = limiter.check(key: StableHash.mix(UInt64(i) + 1), now: Int64(i) * 1_000)
        }
        #expect(limiter.trackedKeys == 992)
        #expect(limiter.forcedEvictions > 15_000)
        #expect(!limiter.check(key: limited, now: Self.second).allowed)
    }

    @Test func tinyAndOddSizes() {
        // maxKeys below the shard count: one key per shard, never more than maxKeys.
        let limiter = KeyedRateLimiter(gcra: Self.tenPerSecond, maxKeys: 3, shards: 16)
        #expect(limiter.shardCount == 3)
        #expect(limiter.maxKeys == 3)
        for k in UInt64(0)..<100 { _ = limiter.check(key: k, now: 0) }
        #expect(limiter.trackedKeys <= 3)
        let zero = KeyedRateLimiter(gcra: Self.tenPerSecond, maxKeys: 0)
        #expect(zero.maxKeys == 1)
        #expect(Self.allowedCount(zero, key: 9, now: 0) == 6)
    }

    @Test func matchesAReferenceModelThroughGrowthExpiryAndShrink() {
        // The table (probing, backward-shift deletion, resizing, lazy sweeps) must be
        // invisible: every decision equals GCRA on a plain dictionary of TATs.
        let gcra = GCRA(ratePerSecond: 10, burst: 2)
        let limiter = KeyedRateLimiter(gcra: gcra, maxKeys: 4_096, shards: 1)
        var model: [UInt64: Int64] = [:]
        var random = SeededGenerator(seed: 0x5EED)
        var now: Int64 = 0
        var mismatches = 0

        func run(_ ops: Int, universe: UInt64, maxStep: Int64) {
            for _ in 0..<ops {
                now += Int64(random.next() % UInt64(maxStep + 1))
                let key = StableHash.mix((random.next() % universe) + 1)
                let cost = random.next() % 8 == 0 ? 2 : 1
                var tat = model[key] ?? GCRA.initialTAT
                let expected = gcra.check(tat: &tat, now: now, cost: cost)
                model[key] = tat
                if limiter.check(key: key, now: now, cost: cost) != expected { mismatches += 1 }
            }
        }
        func verifyStored() {
            for (key, tat) in model where tat > now {
                #expect(limiter.storedTAT(key: key) == tat)
            }
        }

        // Many keys in a short time: the table grows.
        run(4_000, universe: 1_500, maxStep: 20_000)
        verifyStored()
        #expect(limiter.trackedKeys > 1_000)
        // Much later, a few keys: everything else expires lazily and the table shrinks.
        now += 10 * Self.second
        run(10_000, universe: 12, maxStep: 2 * Self.ms)
        verifyStored()
        #expect(limiter.trackedKeys <= 12)
        // Mixed churn.
        for round in 0..<6 {
            run(3_000, universe: round.isMultiple(of: 2) ? 3_000 : 40, maxStep: 200_000)
            verifyStored()
        }
        #expect(mismatches == 0)
        #expect(limiter.forcedEvictions == 0)
    }
}
