import PorticoCore
import Testing

struct ActiveHealthStateTests {
    @Test func healthyServerGoesDownAfterUnhealthyThresholdConsecutiveFailures() {
        var state = ActiveHealthState(startHealthy: true, healthyThreshold: 2, unhealthyThreshold: 3)
        #expect(state.isHealthy)
        #expect(state.record(passed: false) == nil)
        #expect(state.record(passed: false) == nil)
        #expect(state.record(passed: false) == .becameUnhealthy)
        #expect(!state.isHealthy)
        // Reported once: further failures change nothing.
        #expect(state.record(passed: false) == nil)
        #expect(state.record(passed: false) == nil)
        #expect(!state.isHealthy)
    }

    @Test func unhealthyServerComesBackAfterHealthyThresholdConsecutivePasses() {
        var state = ActiveHealthState(startHealthy: false, healthyThreshold: 2, unhealthyThreshold: 3)
        #expect(!state.isHealthy)
        #expect(state.record(passed: true) == nil)
        #expect(state.record(passed: true) == .becameHealthy)
        #expect(state.isHealthy)
        #expect(state.record(passed: true) == nil)
    }

    @Test func passesWhileHealthyAndFailuresWhileUnhealthyReportNothing() {
        var up = ActiveHealthState(startHealthy: true, healthyThreshold: 1, unhealthyThreshold: 1)
        for _ in 0..<5 { #expect(up.record(passed: true) == nil) }
        var down = ActiveHealthState(startHealthy: false, healthyThreshold: 1, unhealthyThreshold: 1)
        for _ in 0..<5 { #expect(down.record(passed: false) == nil) }
    }

    @Test func flappingNeverReachesAThreshold() {
        var state = ActiveHealthState(startHealthy: true, healthyThreshold: 2, unhealthyThreshold: 2)
        for i in 0..<20 {
            #expect(state.record(passed: i % 2 == 0) == nil)
        }
        #expect(state.isHealthy)

        var down = ActiveHealthState(startHealthy: false, healthyThreshold: 2, unhealthyThreshold: 2)
        for i in 0..<20 {
            #expect(down.record(passed: i % 2 == 1) == nil)
        }
        #expect(!down.isHealthy)
    }

    @Test func aPassResetsTheFailureStreak() {
        var state = ActiveHealthState(startHealthy: true, healthyThreshold: 2, unhealthyThreshold: 3)
        #expect(state.record(passed: false) == nil)
        #expect(state.record(passed: false) == nil)
        #expect(state.record(passed: true) == nil)
        #expect(state.consecutiveFailures == 0)
        #expect(state.record(passed: false) == nil)
        #expect(state.record(passed: false) == nil)
        #expect(state.isHealthy)
        #expect(state.record(passed: false) == .becameUnhealthy)
    }

    @Test func aFailureResetsThePassStreak() {
        var state = ActiveHealthState(startHealthy: false, healthyThreshold: 3, unhealthyThreshold: 1)
        #expect(state.record(passed: true) == nil)
        #expect(state.record(passed: true) == nil)
        #expect(state.record(passed: false) == nil)
        #expect(state.consecutivePasses == 0)
        #expect(state.record(passed: true) == nil)
        #expect(state.record(passed: true) == nil)
        #expect(state.record(passed: true) == .becameHealthy)
    }

    @Test func fullCycleReportsEachTransitionOnce() {
        var state = ActiveHealthState(startHealthy: true, healthyThreshold: 2, unhealthyThreshold: 2)
        let results = [true, false, false, false, true, true, true, false, true, false, false]
        let transitions = results.compactMap { state.record(passed: $0) }
        #expect(transitions == [.becameUnhealthy, .becameHealthy, .becameUnhealthy])
    }

    @Test func thresholdsBelowOneActAsOne() {
        var state = ActiveHealthState(startHealthy: true, healthyThreshold: 0, unhealthyThreshold: -3)
        #expect(state.healthyThreshold == 1)
        #expect(state.unhealthyThreshold == 1)
        #expect(state.record(passed: false) == .becameUnhealthy)
        #expect(state.record(passed: true) == .becameHealthy)
    }
}
