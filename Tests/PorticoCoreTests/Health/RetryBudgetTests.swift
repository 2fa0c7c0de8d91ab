import PorticoCore
import Testing

struct RetryBudgetTests {
    static let second: Int64 = 1_000_000_000

    // `#expect` cannot call mutating methods on its operands directly.
    private static func acquire(_ budget: inout RetryBudget, now: Int64) -> Bool {
        budget.tryAcquireRetry(now: now)
    }

    /// Acquires retries at `now` until refused; returns how many were granted.
    private static func drain(_ budget: inout RetryBudget, now: Int64, limit: Int = 10_000) -> Int {
        var granted = 0
        while granted < limit, budget.tryAcquireRetry(now: now) { granted += 1 }
        return granted
    }

    @Test func percentOfRequestsPlusTheFloor() {
        var budget = RetryBudget(percent: 20, minPerSecond: 1, window: 10)
        for i in 0..<100 { budget.recordRequest(now: 5 * Self.second + Int64(i)) }
        // 20% of 100 requests + 1/s × 10 s.
        #expect(Self.drain(&budget, now: 6 * Self.second) == 30)
        #expect(budget.retriesInWindow == 30)
        #expect(budget.requestsInWindow == 100)
    }

    @Test func percentOnlyWithoutAFloor() {
        var budget = RetryBudget(percent: 20, minPerSecond: 0)
        for _ in 0..<100 { budget.recordRequest(now: 0) }
        #expect(Self.drain(&budget, now: 0) == 20)
    }

    @Test func floorAloneLetsLowTrafficRetry() {
        var budget = RetryBudget(percent: 20, minPerSecond: 2, window: 5)
        #expect(Self.drain(&budget, now: 0) == 10)
        // A few requests add their share only once it reaches a whole retry.
        var withRequests = RetryBudget(percent: 20, minPerSecond: 0)
        for _ in 0..<4 { withRequests.recordRequest(now: 0) }
        #expect(Self.drain(&withRequests, now: 0) == 0)
        withRequests.recordRequest(now: 0)
        #expect(Self.drain(&withRequests, now: 0) == 1)
    }

    @Test func fractionalShareRoundsDown() {
        var budget = RetryBudget(percent: 25, minPerSecond: 0)
        for _ in 0..<7 { budget.recordRequest(now: 0) }  // 1.75 retries
        #expect(Self.drain(&budget, now: 0) == 1)
    }

    @Test func windowExpiryFreesBudget() {
        var budget = RetryBudget(percent: 20, minPerSecond: 0, window: 10)
        for _ in 0..<100 { budget.recordRequest(now: 0) }
        #expect(Self.drain(&budget, now: 0) == 20)
        // Still inside the window (seconds 0–9): nothing more, even with no new traffic.
        #expect(!Self.acquire(&budget, now: 9 * Self.second + 999_999_999))
        // Second 10: second 0 (requests and retries) has left the window.
        #expect(!Self.acquire(&budget, now: 10 * Self.second))
        #expect(budget.requestsInWindow == 0)
        #expect(budget.retriesInWindow == 0)
        for _ in 0..<50 { budget.recordRequest(now: 10 * Self.second) }
        #expect(Self.drain(&budget, now: 10 * Self.second) == 10)
    }

    @Test func slidingWindowDropsOnlyExpiredSeconds() {
        var budget = RetryBudget(percent: 50, minPerSecond: 0, window: 3)
        for s in 0..<3 {
            for _ in 0..<10 { budget.recordRequest(now: Int64(s) * Self.second) }
        }
        #expect(budget.requestsInWindow == 30)
        #expect(Self.acquire(&budget, now: 2 * Self.second))  // counted in second 2
        // Second 3: second 0 leaves (10 requests), second 2's retry stays.
        budget.recordRequest(now: 3 * Self.second)
        #expect(budget.requestsInWindow == 21)
        #expect(budget.retriesInWindow == 1)
        // 50% of 21 = 10.5 → 10 retries in all, 1 used.
        #expect(Self.drain(&budget, now: 3 * Self.second) == 9)
        // Second 5: seconds 0–2 are gone, only second 3 remains (1 request, 9 retries).
        #expect(budget.requestsInWindow == 21)
        #expect(!Self.acquire(&budget, now: 5 * Self.second))
        #expect(budget.requestsInWindow == 1)
        #expect(budget.retriesInWindow == 9)
        // A jump far ahead clears everything.
        #expect(!Self.acquire(&budget, now: 1_000 * Self.second))
        #expect(budget.requestsInWindow == 0)
        #expect(budget.retriesInWindow == 0)
    }

    @Test func clockGoingBackCountsInTheNewestSecond() {
        var budget = RetryBudget(percent: 100, minPerSecond: 0, window: 2)
        budget.recordRequest(now: 5 * Self.second)
        budget.recordRequest(now: 1 * Self.second)
        #expect(budget.requestsInWindow == 2)
        #expect(Self.drain(&budget, now: 5 * Self.second) == 2)
    }

    @Test func negativeClockValuesWork() {
        var budget = RetryBudget(percent: 100, minPerSecond: 0, window: 2)
        budget.recordRequest(now: -3 * Self.second + 1)  // second -3
        budget.recordRequest(now: -2 * Self.second)  // second -2
        #expect(budget.requestsInWindow == 2)
        #expect(Self.drain(&budget, now: -1) == 1)  // second -1: second -3 expired
    }

    @Test func defaultWindowIsTenSeconds() {
        let budget = RetryBudget(percent: 20, minPerSecond: 10)
        #expect(budget.windowSeconds == 10)
    }
}
