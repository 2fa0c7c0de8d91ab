/// `balance: sticky`: the server named by the request's sticky cookie, when it is still
/// eligible and untried; otherwise the fallback policy chooses (and the caller then
/// sets a cookie naming the new server).
///
/// Stickiness yields to health: a sticky client whose server is down, ejected, full or
/// disabled moves on rather than failing, and a retry never returns to the server that
/// just failed. A *draining* server keeps its pinned clients (`acceptsPinned`) while the
/// fallback sends it nothing new. Generic over the fallback so the hot path has no existential.
public struct StickyPolicy<Fallback: BalancingPolicy>: BalancingPolicy {
    public var fallback: Fallback

    public init(fallback: Fallback) {
        self.fallback = fallback
    }

    public mutating func pick<View: BalancerServerView, R: RandomNumberGenerator>(
        _ view: View, request: BalanceRequest, excluding tried: ServerSet, random: inout R
    ) -> Int? {
        if let sticky = request.stickyServer, sticky >= 0, sticky < view.serverCount,
           !tried.contains(sticky), view.acceptsPinned(sticky) {
            return sticky
        }
        return fallback.pick(view, request: request, excluding: tried, random: &random)
    }
}
