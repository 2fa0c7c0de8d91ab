import PorticoCore
import Testing

@Suite struct BalancingRoundRobinTests {
    @Test func evenOverThreeServers() {
        var policy = RoundRobinPolicy()
        var random = SplitMix(seed: 1)
        let counts = policy.counts(ArrayServerView(count: 3), picks: 3000, random: &random)
        #expect(counts == [1000, 1000, 1000])
    }

    @Test func inTurnAndWeightsIgnored() {
        var policy = RoundRobinPolicy()
        var random = SplitMix(seed: 1)
        let view = ArrayServerView(weights: [5, 1, 1])
        let picks = (0..<6).map { _ in policy.pickOnce(view, random: &random) }
        #expect(picks == [0, 1, 2, 0, 1, 2])
    }

    @Test func skipsIneligible() {
        var policy = RoundRobinPolicy()
        var random = SplitMix(seed: 1)
        let view = ArrayServerView(weights: [1, 1, 1], eligible: [true, false, true])
        let picks = (0..<6).map { _ in policy.pickOnce(view, random: &random) }
        #expect(picks == [0, 2, 0, 2, 0, 2])
    }

    @Test func skipsTried() {
        var policy = RoundRobinPolicy()
        var random = SplitMix(seed: 1)
        let view = ArrayServerView(count: 3)
        #expect(policy.pickOnce(view, tried: serverSet(0), random: &random) == 1)
        #expect(policy.pickOnce(view, tried: serverSet(2), random: &random) == 0)
        #expect(policy.pickOnce(view, tried: serverSet(1, 2), random: &random) == 0)
    }

    @Test func nilWhenNothingLeft() {
        var policy = RoundRobinPolicy()
        var random = SplitMix(seed: 1)
        #expect(policy.pickOnce(ArrayServerView(weights: [1, 1], eligible: [false, false]), random: &random) == nil)
        #expect(policy.pickOnce(ArrayServerView(count: 2), tried: serverSet(0, 1), random: &random) == nil)
        #expect(policy.pickOnce(ArrayServerView(weights: [1, 1], eligible: [false, true]), tried: serverSet(1), random: &random) == nil)
        #expect(policy.pickOnce(ArrayServerView(count: 0), random: &random) == nil)
    }

    @Test func cursorSurvivesShrinkingServerSet() {
        var policy = RoundRobinPolicy()
        var random = SplitMix(seed: 1)
        for _ in 0..<4 { _ = policy.pickOnce(ArrayServerView(count: 5), random: &random) }
        // Cursor is 4; with two servers the search starts at 4 % 2 = 0.
        #expect(policy.pickOnce(ArrayServerView(count: 2), random: &random) == 0)
        #expect(policy.pickOnce(ArrayServerView(count: 2), random: &random) == 1)
    }
}

@Suite struct BalancingWeightedRoundRobinTests {
    @Test func fiveOneOneIsSmooth() {
        var policy = SmoothWeightedRoundRobinPolicy()
        var random = SplitMix(seed: 1)
        let view = ArrayServerView(weights: [5, 1, 1])
        let picks = (0..<14).map { _ in policy.pickOnce(view, random: &random)! }
        let a = 0, b = 1, c = 2
        #expect(picks == [a, a, b, a, c, a, a, a, a, b, a, c, a, a])
    }

    @Test func fiveOneOneProportionsAndNoLongRuns() {
        var policy = SmoothWeightedRoundRobinPolicy()
        var random = SplitMix(seed: 1)
        let view = ArrayServerView(weights: [5, 1, 1])
        var counts = [0, 0, 0]
        var previous = -1
        var run = 0
        var longestRun = 0
        for _ in 0..<7000 {
            let index = policy.pickOnce(view, random: &random)!
            counts[index] += 1
            run = index == previous ? run + 1 : 1
            previous = index
            longestRun = max(longestRun, run)
        }
        #expect(counts == [5000, 1000, 1000])
        #expect(longestRun < 5)
    }

    @Test func skipsIneligibleAndTried() {
        var policy = SmoothWeightedRoundRobinPolicy()
        var random = SplitMix(seed: 1)
        var view = ArrayServerView(weights: [5, 1, 1], eligible: [false, true, true])
        var counts = policy.counts(view, picks: 100, random: &random)
        #expect(counts == [0, 50, 50])
        view.eligible = [true, true, true]
        counts = policy.counts(view, picks: 70, tried: serverSet(0), random: &random)
        #expect(counts == [0, 35, 35])
        #expect(policy.pickOnce(view, tried: serverSet(0, 1, 2), random: &random) == nil)
        view.eligible = [false, false, false]
        #expect(policy.pickOnce(view, random: &random) == nil)
    }

    @Test func readsLiveWeights() {
        var policy = SmoothWeightedRoundRobinPolicy()
        var random = SplitMix(seed: 1)
        var view = ArrayServerView(weights: [1, 1])
        #expect(policy.counts(view, picks: 100, random: &random) == [50, 50])
        view.weights = [3, 1]  // e.g. slow start finished on server 0
        let counts = policy.counts(view, picks: 400, random: &random)
        #expect(abs(counts[0] - 300) <= 2)
        #expect(counts[0] + counts[1] == 400)
    }

    @Test func resizesWhenServerCountChanges() {
        var policy = SmoothWeightedRoundRobinPolicy(serverCount: 2)
        var random = SplitMix(seed: 1)
        #expect(policy.counts(ArrayServerView(weights: [1, 1]), picks: 10, random: &random) == [5, 5])
        #expect(policy.counts(ArrayServerView(weights: [2, 1, 1]), picks: 8, random: &random) == [4, 2, 2])
        #expect(policy.pickOnce(ArrayServerView(count: 0), random: &random) == nil)
    }
}

@Suite struct BalancingLeastRequestsTests {
    @Test func picksLowestLoad() {
        var policy = LeastRequestsPolicy()
        var random = SplitMix(seed: 1)
        #expect(policy.pickOnce(ArrayServerView(weights: [1, 1, 1], loads: [3, 1, 2]), random: &random) == 1)
        #expect(policy.pickOnce(ArrayServerView(weights: [1, 1, 1], loads: [3, 1, 2]), tried: serverSet(1), random: &random) == 2)
        #expect(policy.pickOnce(ArrayServerView(weights: [1, 1, 1], loads: [3, 1, 2], eligible: [true, false, false]), random: &random) == 0)
        #expect(policy.pickOnce(ArrayServerView(weights: [1, 1], eligible: [false, false]), random: &random) == nil)
        #expect(policy.pickOnce(ArrayServerView(count: 2), tried: serverSet(0, 1), random: &random) == nil)
    }

    @Test func tiesSpreadEvenly() {
        var policy = LeastRequestsPolicy()
        var random = SplitMix(seed: 7)
        let view = ArrayServerView(weights: [1, 1, 1, 1], loads: [0, 0, 5, 0])
        let counts = policy.counts(view, picks: 3000, random: &random)
        #expect(counts[2] == 0)
        for index in [0, 1, 3] {
            #expect((850...1150).contains(counts[index]), "server \(index): \(counts[index])")
        }
    }

    @Test func weightIsTakenIntoAccount() {
        var policy = LeastRequestsPolicy()
        var random = SplitMix(seed: 3)
        // 2/2 == 1/1: a tie, both chosen.
        let tie = policy.counts(ArrayServerView(weights: [2, 1], loads: [2, 1]), picks: 1000, random: &random)
        #expect((400...600).contains(tie[0]), "\(tie)")
        #expect(tie[0] + tie[1] == 1000)
        // 3/4 < 1/1: the heavier server wins although it has more requests.
        #expect(policy.pickOnce(ArrayServerView(weights: [4, 1], loads: [3, 1]), random: &random) == 0)
        // 3/2 > 1/1.
        #expect(policy.pickOnce(ArrayServerView(weights: [2, 1], loads: [3, 1]), random: &random) == 1)
    }
}

@Suite struct BalancingPowerOfTwoChoicesTests {
    @Test func idleServerWinsWheneverDrawn() {
        var policy = PowerOfTwoChoicesPolicy()
        var random = SplitMix(seed: 11)
        let counts = policy.counts(ArrayServerView(weights: [1, 1, 1], loads: [0, 10, 10]), picks: 3000, random: &random)
        // Drawn in 2 of the 3 possible pairs: expected 2000.
        #expect((1800...2200).contains(counts[0]), "\(counts)")
        #expect(counts.reduce(0, +) == 3000)
    }

    @Test func neverPicksIneligibleOrTried() {
        var policy = PowerOfTwoChoicesPolicy()
        var random = SplitMix(seed: 5)
        let view = ArrayServerView(weights: [1, 1, 1, 1, 1], eligible: [true, false, true, false, true])
        let counts = policy.counts(view, picks: 3000, tried: serverSet(4), random: &random)
        #expect(counts[1] == 0 && counts[3] == 0 && counts[4] == 0)
        #expect(counts[0] > 1200 && counts[2] > 1200, "\(counts)")
    }

    @Test func oneOrNoCandidate() {
        var policy = PowerOfTwoChoicesPolicy()
        var random = SplitMix(seed: 5)
        #expect(policy.pickOnce(ArrayServerView(weights: [1, 1, 1], eligible: [false, true, false]), random: &random) == 1)
        #expect(policy.pickOnce(ArrayServerView(count: 3), tried: serverSet(0, 2), random: &random) == 1)
        #expect(policy.pickOnce(ArrayServerView(count: 3), tried: serverSet(0, 1, 2), random: &random) == nil)
        #expect(policy.pickOnce(ArrayServerView(count: 0), random: &random) == nil)
    }

    @Test func weightIsTakenIntoAccount() {
        var policy = PowerOfTwoChoicesPolicy()
        var random = SplitMix(seed: 5)
        // Two servers are always both drawn: 3/4 < 1/1 always wins.
        let counts = policy.counts(ArrayServerView(weights: [4, 1], loads: [3, 1]), picks: 200, random: &random)
        #expect(counts == [200, 0])
    }
}

@Suite struct BalancingStickyTests {
    @Test func stickyServerWhenEligible() {
        var policy = StickyPolicy(fallback: RoundRobinPolicy())
        var random = SplitMix(seed: 1)
        let view = ArrayServerView(count: 3)
        for _ in 0..<5 {
            #expect(policy.pickOnce(view, request: BalanceRequest(stickyServer: 2), random: &random) == 2)
        }
    }

    @Test func fallbackWhenIneligibleTriedOrUnknown() {
        var policy = StickyPolicy(fallback: RoundRobinPolicy())
        var random = SplitMix(seed: 1)
        let down = ArrayServerView(weights: [1, 1, 1], eligible: [true, true, false])
        for _ in 0..<4 {
            let choice = policy.pickOnce(down, request: BalanceRequest(stickyServer: 2), random: &random)
            #expect(choice != nil && choice != 2)
        }
        let view = ArrayServerView(count: 3)
        for _ in 0..<4 {
            let choice = policy.pickOnce(view, request: BalanceRequest(stickyServer: 1), tried: serverSet(1), random: &random)
            #expect(choice != nil && choice != 1)
        }
        #expect(policy.pickOnce(view, request: BalanceRequest(stickyServer: 7), random: &random) != nil)
        #expect(policy.pickOnce(view, request: BalanceRequest(stickyServer: -1), random: &random) != nil)
        #expect(policy.pickOnce(view, request: BalanceRequest(stickyServer: nil), random: &random) != nil)
        #expect(policy.pickOnce(view, request: BalanceRequest(stickyServer: 0), tried: serverSet(0, 1, 2), random: &random) == nil)
    }

    @Test func fallbackKeepsItsState() {
        var policy = StickyPolicy(fallback: SmoothWeightedRoundRobinPolicy())
        var random = SplitMix(seed: 1)
        let view = ArrayServerView(weights: [5, 1, 1])
        let picks = (0..<7).map { _ in policy.pickOnce(view, random: &random)! }
        #expect(picks == [0, 0, 1, 0, 2, 0, 0])
    }
}
