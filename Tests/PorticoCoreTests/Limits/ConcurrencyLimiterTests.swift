import PorticoCore
import Testing

struct ConcurrencyLimiterTests {
    @Test func acquireUpToTheLimitPerKey() {
        let limiter = ConcurrencyLimiter(limitPerKey: 3)
        let a = StableHash.hash("198.51.100.7")
        let b = StableHash.hash("203.0.113.9")
        #expect((0..<5).map { _ in limiter.acquire(key: a) } == [true, true, true, false, false])
        #expect(limiter.count(key: a) == 3)
        #expect(limiter.acquire(key: b))
        #expect(limiter.count(key: b) == 1)
        limiter.release(key: a)
        #expect(limiter.acquire(key: a))
        #expect(!limiter.acquire(key: a))
    }

    @Test func releasingToZeroForgetsTheKey() {
        let limiter = ConcurrencyLimiter(limitPerKey: 2)
        for k in UInt64(0)..<1_000 {
            #expect(limiter.acquire(key: k))
            #expect(limiter.acquire(key: k))
        }
        #expect(limiter.trackedKeys == 1_000)
        for k in UInt64(0)..<1_000 { #expect(limiter.release(key: k)) }
        #expect(limiter.trackedKeys == 1_000)
        for k in UInt64(0)..<1_000 { #expect(limiter.release(key: k)) }
        #expect(limiter.trackedKeys == 0)
        // Still usable after the shards shrank.
        #expect(limiter.acquire(key: 5))
        #expect(limiter.count(key: 5) == 1)
    }

    @Test func unmatchedReleaseChangesNothing() {
        let limiter = ConcurrencyLimiter(limitPerKey: 1)
        #expect(!limiter.release(key: 9))
        #expect(limiter.trackedKeys == 0)
        // Not driven negative: the limit still holds afterwards.
        #expect(limiter.acquire(key: 9))
        #expect(!limiter.acquire(key: 9))
    }

    @Test func zeroLimitAdmitsNothing() {
        let limiter = ConcurrencyLimiter(limitPerKey: 0)
        #expect(!limiter.acquire(key: 1))
        #expect(limiter.trackedKeys == 0)
    }

    @Test func limitHoldsAcrossFourThreads() {
        let limiter = ConcurrencyLimiter(limitPerKey: 3, shards: 4)
        let keys: [UInt64] = [11, 22]
        let inUse = keys.map { _ in SharedCounter() }
        let highWater = keys.map { _ in SharedCounter() }
        let granted = SharedCounter()
        onThreads(4) { thread in
            for i in 0..<20_000 {
                let k = (i + thread) % keys.count
                guard limiter.acquire(key: keys[k]) else { continue }
                granted.add(1)
                inUse[k].add(1)
                highWater[k].raise(to: inUse[k].current)
                inUse[k].add(-1)
                limiter.release(key: keys[k])
            }
        }
        for k in keys.indices {
            #expect(highWater[k].current <= 3)
            #expect(limiter.count(key: keys[k]) == 0)
        }
        #expect(granted.current > 0)
        #expect(limiter.trackedKeys == 0)
    }
}

struct CountingLimiterTests {
    @Test func acquireReleaseAndUnmatchedRelease() {
        let limiter = CountingLimiter(limit: 2)
        #expect(limiter.tryAcquire())
        #expect(limiter.tryAcquire())
        #expect(!limiter.tryAcquire())
        #expect(limiter.current == 2)
        #expect(limiter.release())
        #expect(limiter.tryAcquire())
        #expect(limiter.release())
        #expect(limiter.release())
        #expect(!limiter.release())
        #expect(limiter.current == 0)
        #expect(!CountingLimiter(limit: 0).tryAcquire())
    }

    @Test func limitHoldsAcrossFourThreads() {
        let limiter = CountingLimiter(limit: 5)
        let inUse = SharedCounter()
        let highWater = SharedCounter()
        let granted = SharedCounter()
        onThreads(4) { _ in
            for _ in 0..<50_000 {
                guard limiter.tryAcquire() else { continue }
                granted.add(1)
                inUse.add(1)
                highWater.raise(to: inUse.current)
                inUse.add(-1)
                limiter.release()
            }
        }
        #expect(highWater.current <= 5)
        #expect(granted.current == 200_000)  // 4 threads never hold more than 4 < 5
        #expect(limiter.current == 0)
    }
}
