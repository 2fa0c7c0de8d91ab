/// `balance: sticky`: the server named by the request's sticky cookie, when it is still
/// eligible and untried; otherwise the fallback policy chooses (and the caller then
/// sets a cookie naming the new server).
///
/// Stickiness yields to health: a sticky client whose server is down, ejected or full
/// moves on rather than failing, and a retry never returns to the server that just
/// failed. Generic over the fallback so the hot path has no existential.
public struct StickyPolicy<Fallback: BalancingPolicy>: BalancingPolicy {
    public var fallback: Fallback

    public init(fallback: Fallback) {
        self.fallback = fallback
    }

    public mutating func pick<View: BalancerServerView, R: RandomNumberGenerator>(
        _ view: View, request: BalanceRequest, excluding tried: ServerSet, random: inout R
    ) -> Int? {
        if let sticky = request.stickyServer, sticky >= 0, sticky < view.serverCount,
           view.isCandidate(sticky, excluding: tried) {
            return sticky
        }
        return fallback.pick(view, request: request, excluding: tried, random: &random)
    }
}
