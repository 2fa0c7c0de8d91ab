/// `balance: least_requests`: the candidate with the fewest in-flight requests relative
/// to its weight (`load/weight`, compared by cross-multiplication, no floating point).
///
/// Ties are broken uniformly at random by reservoir sampling (the k-th tied server
/// replaces the choice with probability 1/k), so that idle servers share a burst instead
/// of the lowest index taking all of it, and without collecting the ties in an array.
public struct LeastRequestsPolicy: BalancingPolicy {
    public init() {}

    public mutating func pick<View: BalancerServerView, R: RandomNumberGenerator>(
        _ view: View, request: BalanceRequest, excluding tried: ServerSet, random: inout R
    ) -> Int? {
        choose(view, excluding: tried, random: &random)
    }

    /// The choice itself; needs no state.
    func choose<View: BalancerServerView, R: RandomNumberGenerator>(
        _ view: View, excluding tried: ServerSet, random: inout R
    ) -> Int? {
        var best = -1
        var ties: UInt64 = 0
        for index in 0..<view.serverCount where view.isCandidate(index, excluding: tried) {
            if best < 0 {
                best = index
                ties = 1
                continue
            }
            let order = view.compareLoad(index, best)
            if order < 0 {
                best = index
                ties = 1
            } else if order == 0 {
                ties += 1
                if random.next(upperBound: ties) == 0 { best = index }
            }
        }
        return best < 0 ? nil : best
    }
}
