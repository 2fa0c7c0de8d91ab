/// `balance: weighted_round_robin`: nginx's smooth weighted round robin
/// (`ngx_http_upstream_get_peer`).
///
/// At each pick every candidate's current weight grows by its weight, the candidate with
/// the largest current weight wins (the first one on a tie), and the winner's current
/// weight drops by the sum of the candidates' weights. Over a cycle each server is chosen
/// exactly in proportion to its weight, and the choices are interleaved rather than
/// bunched: 5:1:1 gives `a a b a c a a`, never five `a` in a row, which keeps a heavy
/// server from receiving bursts.
///
/// Weights are read from the view at every pick, so slow start (a ramping weight) takes
/// effect immediately. Ineligible or tried servers neither gain nor lose current weight,
/// as in nginx.
public struct SmoothWeightedRoundRobinPolicy: BalancingPolicy {
    /// Per-server current weights. Allocated once; reset (reallocated) only when the
    /// server count changes, since the indices then no longer mean the same servers.
    private var current: [Int]

    public init() {
        self.current = []
    }

    /// Prepares the state for `serverCount` servers ahead of the first pick, so that the
    /// first request does not pay for the allocation.
    public init(serverCount: Int) {
        self.current = Array(repeating: 0, count: max(0, serverCount))
    }

    public mutating func pick<View: BalancerServerView, R: RandomNumberGenerator>(
        _ view: View, request: BalanceRequest, excluding tried: ServerSet, random: inout R
    ) -> Int? {
        let count = view.serverCount
        guard count > 0 else { return nil }
        if current.count != count {
            current = Array(repeating: 0, count: count)
        }
        return current.withUnsafeMutableBufferPointer { current -> Int? in
            var best = -1
            var total = 0
            for index in 0..<count where view.isCandidate(index, excluding: tried) {
                let weight = view.effectiveWeight(index)
                current[index] &+= weight
                total &+= weight
                if best < 0 || current[index] > current[best] { best = index }
            }
            guard best >= 0 else { return nil }
            current[best] &-= total
            return best
        }
    }

    /// Address of the current-weights storage, for tests that check it is updated in
    /// place (no copy-on-write per pick).
    var currentWeightsAddress: UnsafeRawPointer? {
        current.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
    }
}
