import PorticoCore

/// A `BalancerServerView` over plain arrays, for policy tests.
struct ArrayServerView: BalancerServerView {
    var weights: [Int]
    var loads: [Int]
    var eligible: [Bool]

    init(weights: [Int], loads: [Int]? = nil, eligible: [Bool]? = nil) {
        self.weights = weights
        self.loads = loads ?? Array(repeating: 0, count: weights.count)
        self.eligible = eligible ?? Array(repeating: true, count: weights.count)
    }

    init(count: Int) {
        self.init(weights: Array(repeating: 1, count: count))
    }

    var serverCount: Int { weights.count }
    func isEligible(_ index: Int) -> Bool { eligible[index] }
    func weight(_ index: Int) -> Int { weights[index] }
    func load(_ index: Int) -> Int { loads[index] }
}

extension BalancingPolicy {
    /// One pick with no request key and nothing tried.
    mutating func pickOnce<R: RandomNumberGenerator>(
        _ view: ArrayServerView, request: BalanceRequest = BalanceRequest(), tried: ServerSet = ServerSet(),
        random: inout R
    ) -> Int? {
        pick(view, request: request, excluding: tried, random: &random)
    }

    /// How often each server is chosen over `picks` picks (a nil pick is a test failure
    /// for the caller to detect via the total).
    mutating func counts<R: RandomNumberGenerator>(
        _ view: ArrayServerView, picks: Int, tried: ServerSet = ServerSet(), random: inout R
    ) -> [Int] {
        var counts = Array(repeating: 0, count: view.serverCount)
        for _ in 0..<picks {
            if let index = pick(view, request: BalanceRequest(), excluding: tried, random: &random) {
                counts[index] += 1
            }
        }
        return counts
    }
}

func serverSet(_ indices: Int...) -> ServerSet {
    var set = ServerSet()
    for index in indices { set.insert(index) }
    return set
}
