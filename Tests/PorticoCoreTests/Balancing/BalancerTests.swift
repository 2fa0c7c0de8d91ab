@testable import PorticoCore
import Testing

private let names = ["10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080"]

@Suite struct BalancingBalancerTests {
    @Test(arguments: BalancePolicy.allCases)
    func everyPolicyConstructsAndPicks(policy: BalancePolicy) {
        var balancer = Balancer(policy: policy, stickyFallback: .roundRobin, serverIdentities: names, weights: [1, 1, 1])
        #expect(balancer.policy == policy)
        var random = SplitMix(seed: 1)
        let view = ArrayServerView(weights: [1, 1, 1], eligible: [true, false, true])
        var seen = Set<Int>()
        for i in 0..<30 {
            let request = BalanceRequest(hashKey: StableHash.hash("k\(i)"), stickyServer: i % 3)
            let choice = balancer.pick(view, request: request, excluding: ServerSet(), random: &random)
            #expect(choice == 0 || choice == 2)
            if let choice { seen.insert(choice) }
        }
        #expect(seen == [0, 2])
        #expect(balancer.pick(view, request: BalanceRequest(), excluding: serverSet(0, 2), random: &random) == nil)
    }

    @Test func usesLoad() {
        func uses(_ policy: BalancePolicy, _ fallback: BalancePolicy = .roundRobin) -> Bool {
            Balancer(policy: policy, stickyFallback: fallback, serverIdentities: names, weights: [1, 1, 1]).usesLoad
        }
        #expect(!uses(.roundRobin))
        #expect(!uses(.weightedRoundRobin))
        #expect(uses(.leastRequests))
        #expect(uses(.powerOfTwoChoices))
        #expect(!uses(.consistentHash))
        #expect(!uses(.sticky, .roundRobin))
        #expect(!uses(.sticky, .weightedRoundRobin))
        #expect(uses(.sticky, .leastRequests))
        #expect(uses(.sticky, .powerOfTwoChoices))
        #expect(!uses(.roundRobin, .leastRequests))
    }

    @Test func weightedStateIsKeptAndMutatedInPlace() {
        for policy in [BalancePolicy.weightedRoundRobin, .sticky] {
            var balancer = Balancer(
                policy: policy, stickyFallback: .weightedRoundRobin, serverIdentities: names, weights: [5, 1, 1]
            )
            var random = SplitMix(seed: 1)
            let view = ArrayServerView(weights: [5, 1, 1])
            let address = balancer.weightedStateAddress
            #expect(address != nil)
            var picks: [Int] = []
            for _ in 0..<14 {
                picks.append(balancer.pick(view, request: BalanceRequest(), excluding: ServerSet(), random: &random)!)
                // Same storage after each pick: no copy-on-write copy was made.
                #expect(balancer.weightedStateAddress == address)
            }
            #expect(picks == [0, 0, 1, 0, 2, 0, 0, 0, 0, 1, 0, 2, 0, 0])
        }
    }

    @Test func consistentHashMatchesThePolicy() {
        var balancer = Balancer(policy: .consistentHash, stickyFallback: .roundRobin, serverIdentities: names, weights: [1, 2, 1])
        let ring = HashRing(serverIdentities: names, weights: [1, 2, 1])
        #expect(balancer.hashRing == ring)
        var random = SplitMix(seed: 1)
        let view = ArrayServerView(weights: [1, 2, 1])
        for i in 0..<200 {
            let key = StableHash.hash("user-\(i)")
            #expect(balancer.pick(view, request: BalanceRequest(hashKey: key), excluding: ServerSet(), random: &random) == ring.owner(of: key))
        }
    }

    @Test func stickyPrefersTheCookieServer() {
        var balancer = Balancer(policy: .sticky, stickyFallback: .leastRequests, serverIdentities: names, weights: [1, 1, 1])
        var random = SplitMix(seed: 1)
        let view = ArrayServerView(weights: [1, 1, 1], loads: [5, 0, 5])
        #expect(balancer.pick(view, request: BalanceRequest(stickyServer: 2), excluding: ServerSet(), random: &random) == 2)
        // No cookie: least requests.
        #expect(balancer.pick(view, request: BalanceRequest(), excluding: ServerSet(), random: &random) == 1)
        // Cookie server already failed: the fallback chooses.
        #expect(balancer.pick(view, request: BalanceRequest(stickyServer: 2), excluding: serverSet(2), random: &random) == 1)
    }

    @Test func invalidStickyFallbackBecomesRoundRobin() {
        for fallback in [BalancePolicy.sticky, .consistentHash] {
            var balancer = Balancer(policy: .sticky, stickyFallback: fallback, serverIdentities: names, weights: [1, 1, 1])
            #expect(balancer.stickyFallback == .roundRobin)
            var random = SplitMix(seed: 1)
            let view = ArrayServerView(count: 3)
            let picks = (0..<3).map { _ in balancer.pick(view, request: BalanceRequest(), excluding: ServerSet(), random: &random) }
            #expect(picks == [0, 1, 2])
        }
        let plain = Balancer(policy: .roundRobin, stickyFallback: .leastRequests, serverIdentities: names, weights: [1, 1, 1])
        #expect(plain.stickyFallback == nil)
        #expect(plain.hashRing == nil)
    }
}
