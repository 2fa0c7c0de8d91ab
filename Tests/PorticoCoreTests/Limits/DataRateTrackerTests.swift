import PorticoCore
import Testing

struct DataRateTrackerTests {
    static let ms: Int64 = 1_000_000
    static let second: Int64 = 1_000_000_000

    /// 100 B/s after a 5 s grace period.
    static func tracker() -> DataRateTracker {
        var tracker = DataRateTracker(minBytesPerSecond: 100, gracePeriodNanos: 5 * second)
        tracker.start(now: 0)
        return tracker
    }

    @Test func silenceIsAllowedForTheGracePeriodOnly() {
        let tracker = Self.tracker()
        #expect(!tracker.isTooSlow(now: 5 * Self.second))
        #expect(tracker.isTooSlow(now: 5 * Self.second + 1))
        #expect(tracker.deadline == 5 * Self.second)
    }

    @Test func oneBytePerSecondIsCutOffAfterTheGracePeriod() {
        var tracker = Self.tracker()
        var cutOffAt: Int64?
        for s in 1...60 {
            let now = Int64(s) * Self.second
            tracker.record(bytes: 1, now: now)
            if tracker.isTooSlow(now: now) {
                cutOffAt = now
                break
            }
        }
        // Each byte buys 10 ms: at 6 s the deadline is only 5.06 s.
        #expect(cutOffAt == 6 * Self.second)
    }

    @Test func burstThenBriefPauseIsNotCutOff() {
        var tracker = Self.tracker()
        tracker.record(bytes: 64 * 1024, now: Self.second)
        // The burst buys at most the credit cap (the grace period, 5 s) from when it arrived.
        #expect(tracker.deadline == 6 * Self.second)
        #expect(!tracker.isTooSlow(now: 5_900 * Self.ms))
        // It resumes sending fast: fine again, and the pause did not count against it.
        tracker.record(bytes: 1_000, now: 5_900 * Self.ms)
        #expect(!tracker.isTooSlow(now: 10 * Self.second))
        // A pause longer than the credit is not brief.
        #expect(tracker.isTooSlow(now: 10_900 * Self.ms + 1))
    }

    @Test func steadyFastClientPausingBrieflyIsNotCutOff() {
        var tracker = Self.tracker()
        for s in 1...30 {
            tracker.record(bytes: 1_000, now: Int64(s) * Self.second)
            #expect(!tracker.isTooSlow(now: Int64(s) * Self.second))
        }
        // A 4 s pause after 30 s of fast sending.
        #expect(!tracker.isTooSlow(now: 34 * Self.second))
    }

    @Test func earlyBurstCannotBuyUnlimitedSlownessLater() {
        var tracker = Self.tracker()
        tracker.record(bytes: 1_000_000, now: 0)  // 10,000 s worth at 100 B/s
        var cutOffAt: Int64?
        for s in 1...60 {
            let now = Int64(s) * Self.second
            tracker.record(bytes: 1, now: now)
            if tracker.isTooSlow(now: now) {
                cutOffAt = now
                break
            }
        }
        #expect(cutOffAt == 6 * Self.second)
    }

    @Test func exactlyTheMinimumRatePasses() {
        var tracker = Self.tracker()
        for s in 1...600 {
            tracker.record(bytes: 100, now: Int64(s) * Self.second)
            #expect(!tracker.isTooSlow(now: Int64(s) * Self.second), "at \(s) s")
        }
    }

    @Test func slightlyBelowTheMinimumIsCutOffEventually() {
        // 88 B/s: the deadline falls 0.12 s behind each second; 5 s of grace lasts 41.7 s.
        var tracker = Self.tracker()
        var cutOffAt: Int?
        for s in 1...120 {
            tracker.record(bytes: 88, now: Int64(s) * Self.second)
            if tracker.isTooSlow(now: Int64(s) * Self.second) {
                cutOffAt = s
                break
            }
        }
        #expect(cutOffAt == 42)
    }

    @Test func pausedTimeDoesNotCount() {
        var tracker = Self.tracker()
        tracker.pause(now: Self.second)
        #expect(!tracker.isTooSlow(now: 100 * Self.second))
        tracker.resume(now: 100 * Self.second)
        // 4 s of grace were left when reading paused.
        #expect(tracker.deadline == 104 * Self.second)
        #expect(!tracker.isTooSlow(now: 104 * Self.second))
        #expect(tracker.isTooSlow(now: 104 * Self.second + 1))
    }

    @Test func fractionalNanosPerByteDoNotDrift() {
        // 3 B/s: 333,333,333.3 ns per byte; 3,000 one-byte records must add 1,000 s.
        var tracker = DataRateTracker(minBytesPerSecond: 3, gracePeriodNanos: Self.second, maxCreditNanos: 10_000 * Self.second)
        tracker.start(now: 0)
        for _ in 0..<3_000 { tracker.record(bytes: 1, now: 0) }
        #expect(abs(tracker.deadline - 1_001 * Self.second) <= 1)
    }

    @Test func disabledOrNotStartedIsNeverTooSlow() {
        var disabled = DataRateTracker(minBytesPerSecond: 0, gracePeriodNanos: Self.second)
        disabled.start(now: 0)
        #expect(!disabled.isTooSlow(now: 1_000 * Self.second))
        let notStarted = DataRateTracker(minBytesPerSecond: 100, gracePeriodNanos: Self.second)
        #expect(!notStarted.isTooSlow(now: 1_000 * Self.second))
    }
}
