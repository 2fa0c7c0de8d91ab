/// `balance: power_of_two_choices`: two distinct candidates drawn at random, the one with
/// the lower `load/weight` wins (either on a tie).
///
/// Cheaper than scanning for the global minimum and, unlike least-requests, it does not
/// send every new request of a burst to the same momentarily idle server when load
/// counts lag (Mitzenmacher's "power of two choices"). To draw without allocating, the
/// candidates are counted, two ordinal positions are drawn, and a second pass walks to
/// them.
public struct PowerOfTwoChoicesPolicy: BalancingPolicy {
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
        let count = view.serverCount
        var candidates = 0
        var only = -1
        for index in 0..<count where view.isCandidate(index, excluding: tried) {
            candidates += 1
            only = index
        }
        if candidates <= 1 { return candidates == 1 ? only : nil }

        let first = Int(random.next(upperBound: UInt64(candidates)))
        var second = Int(random.next(upperBound: UInt64(candidates - 1)))
        if second >= first { second += 1 }

        var a = -1
        var b = -1
        var ordinal = 0
        for index in 0..<count where view.isCandidate(index, excluding: tried) {
            if ordinal == first { a = index }
            if ordinal == second { b = index }
            if a >= 0, b >= 0 { break }
            ordinal += 1
        }
        // The view is expected not to change between the two passes; if it did, use
        // whichever draw was found.
        if a < 0 || b < 0 { return a >= 0 ? a : (b >= 0 ? b : nil) }
        // On a tie keep `a`: it is the first draw, itself uniformly random.
        return view.compareLoad(b, a) < 0 ? b : a
    }
}
