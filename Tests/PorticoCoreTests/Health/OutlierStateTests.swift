import PorticoCore
import Testing

struct OutlierStateTests {
    static let second: Int64 = 1_000_000_000

    static let config = OutlierDetectionConfig(
        consecutiveFailures: 3,
        baseEjectionTime: .seconds(30),
        maxEjectionTime: .seconds(100),
        maxEjectedPercent: 50
    )

    // `#expect` cannot call mutating methods on its operands directly.
    private static func failure(_ state: inout OutlierState, now: Int64, config: OutlierDetectionConfig) -> Bool {
        state.recordFailure(now: now, config: config)
    }

    private static func restore(_ state: inout OutlierState, now: Int64) -> Bool {
        state.restoreIfDue(now: now)
    }

    @Test func consecutiveFailuresWantEjection() {
        var state = OutlierState()
        #expect(!Self.failure(&state, now: 0, config: Self.config))
        #expect(!Self.failure(&state, now: 1, config: Self.config))
        #expect(Self.failure(&state, now: 2, config: Self.config))
        // Still wanted while the caller could not eject (group cap reached).
        #expect(Self.failure(&state, now: 3, config: Self.config))
    }

    @Test func successResetsTheStreak() {
        var state = OutlierState()
        #expect(!Self.failure(&state, now: 0, config: Self.config))
        #expect(!Self.failure(&state, now: 0, config: Self.config))
        state.recordSuccess()
        #expect(state.consecutiveFailures == 0)
        #expect(!Self.failure(&state, now: 0, config: Self.config))
        #expect(!Self.failure(&state, now: 0, config: Self.config))
        #expect(Self.failure(&state, now: 0, config: Self.config))
    }

    @Test func disabledDetectionNeverWantsEjection() {
        var config = Self.config
        config.enabled = false
        var state = OutlierState()
        for i in 0..<10 { #expect(!Self.failure(&state, now: Int64(i), config: config)) }
    }

    @Test func failuresWhileEjectedDoNotCount() {
        var state = OutlierState()
        for _ in 0..<3 { _ = state.recordFailure(now: 0, config: Self.config) }
        let deadline = state.eject(now: 0, config: Self.config)
        #expect(deadline == 30 * Self.second)
        #expect(state.consecutiveFailures == 0)
        for _ in 0..<5 { #expect(!Self.failure(&state, now: 10 * Self.second, config: Self.config)) }
        #expect(state.consecutiveFailures == 0)
    }

    /// Eject, wait for the end, restore, fail again: returns each ejection's length.
    private static func ejectionLengths(_ count: Int, config: OutlierDetectionConfig) -> [Int64] {
        var state = OutlierState()
        var now: Int64 = 1_000 * second
        var lengths: [Int64] = []
        for _ in 0..<count {
            let deadline = state.eject(now: now, config: config)
            lengths.append((deadline - now) / second)
            now = deadline
            #expect(Self.restore(&state, now: now))
            now += second  // back in for a moment, well under max_ejection_time
        }
        return lengths
    }

    @Test func ejectionTimeGrowsByTheBaseAndIsCapped() {
        #expect(Self.ejectionLengths(6, config: Self.config) == [30, 60, 90, 100, 100, 100])
        let defaults = OutlierDetectionConfig()  // 30 s base, 300 s max
        #expect(Self.ejectionLengths(12, config: defaults) == [30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 300, 300])
    }

    @Test func ejectionCountIsTracked() {
        var state = OutlierState()
        #expect(state.ejectionCount == 0)
        let first = state.eject(now: 0, config: Self.config)
        #expect(state.ejectionCount == 1)
        _ = state.eject(now: first + Self.second, config: Self.config)
        #expect(state.ejectionCount == 2)
    }

    @Test func isEjectedUntilTheDeadline() {
        var state = OutlierState()
        #expect(!state.isEjected(now: 0))
        let deadline = state.eject(now: 5 * Self.second, config: Self.config)
        #expect(state.isEjected(now: 5 * Self.second))
        #expect(state.isEjected(now: deadline - 1))
        #expect(!state.isEjected(now: deadline))
        #expect(!state.isEjected(now: deadline + 1))
    }

    @Test func restoreIfDueReportsOnceAfterTheDeadline() {
        var state = OutlierState()
        #expect(!Self.restore(&state, now: 0))
        let deadline = state.eject(now: 0, config: Self.config)
        #expect(!Self.restore(&state, now: deadline - 1))
        #expect(Self.restore(&state, now: deadline + 7))
        #expect(!Self.restore(&state, now: deadline + 8))
        #expect(!Self.restore(&state, now: deadline + 100 * Self.second))
    }

    @Test func countStartsOverAfterALongHealthyPeriod() {
        var state = OutlierState()
        var deadline = state.eject(now: 0, config: Self.config)  // 30 s
        #expect(Self.restore(&state, now: deadline))
        deadline = state.eject(now: deadline + Self.second, config: Self.config)  // 60 s
        #expect(state.ejectionCount == 2)
        #expect(Self.restore(&state, now: deadline))
        // Exactly max_ejection_time in: still the same incident.
        let third = state.eject(now: deadline + 100 * Self.second, config: Self.config)
        #expect(state.ejectionCount == 3)
        #expect(third - (deadline + 100 * Self.second) == 90 * Self.second)
        #expect(Self.restore(&state, now: third))
        // Longer than max_ejection_time in: back to the base time.
        let start = third + 100 * Self.second + 1
        let fourth = state.eject(now: start, config: Self.config)
        #expect(state.ejectionCount == 1)
        #expect(fourth - start == 30 * Self.second)
    }

    @Test func countStartsOverEvenIfRestoreWasNeverPolled() {
        var state = OutlierState()
        let deadline = state.eject(now: 0, config: Self.config)
        let start = deadline + 101 * Self.second
        let deadline2 = state.eject(now: start, config: Self.config)
        #expect(deadline2 - start == 30 * Self.second)
        #expect(state.ejectionCount == 1)
    }

    @Test func hugeCountsDoNotOverflow() {
        var config = Self.config
        config.baseEjectionTime = .seconds(Int64.max / 4)
        config.maxEjectionTime = .seconds(Int64.max / 2)
        var state = OutlierState()
        var now: Int64 = 0
        for _ in 0..<3 {
            let deadline = state.eject(now: now, config: config)
            #expect(deadline >= now)
            now = deadline
        }
    }

    struct CapCase: Sendable, CustomTestStringConvertible {
        var ejected: Int
        var size: Int
        var percent: Int
        var allowed: Bool
        var testDescription: String { "\(ejected) of \(size) at \(percent)% → \(allowed)" }
    }

    @Test(arguments: [
        CapCase(ejected: 0, size: 3, percent: 50, allowed: true),
        CapCase(ejected: 1, size: 3, percent: 50, allowed: false),
        CapCase(ejected: 0, size: 1, percent: 50, allowed: false),
        CapCase(ejected: 0, size: 1, percent: 100, allowed: true),
        CapCase(ejected: 1, size: 1, percent: 100, allowed: false),
        CapCase(ejected: 0, size: 2, percent: 50, allowed: true),
        CapCase(ejected: 1, size: 2, percent: 50, allowed: false),
        CapCase(ejected: 1, size: 4, percent: 50, allowed: true),
        CapCase(ejected: 2, size: 4, percent: 50, allowed: false),
        CapCase(ejected: 2, size: 10, percent: 30, allowed: true),
        CapCase(ejected: 3, size: 10, percent: 30, allowed: false),
        CapCase(ejected: 0, size: 10, percent: 0, allowed: false),
        CapCase(ejected: 9, size: 10, percent: 100, allowed: true),
        CapCase(ejected: 10, size: 10, percent: 100, allowed: false),
        CapCase(ejected: 0, size: 0, percent: 100, allowed: false),
        CapCase(ejected: 0, size: 3, percent: 150, allowed: true),
        CapCase(ejected: 3, size: 3, percent: 150, allowed: false),
    ])
    func mayEjectTable(_ c: CapCase) {
        #expect(OutlierState.mayEject(currentlyEjected: c.ejected, groupSize: c.size, maxEjectedPercent: c.percent) == c.allowed)
    }
}
