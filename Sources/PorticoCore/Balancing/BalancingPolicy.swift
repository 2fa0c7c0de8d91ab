/// How one upstream group chooses the server for a request.
///
/// A policy is a small value type owned by one worker (one event loop), so `pick` is
/// `mutating` and needs no locks: round-robin cursors and weighted-round-robin state are
/// per worker, like nginx's per-worker peer state. Everything the policy may know about
/// the servers comes through the view; which servers are eligible (health, ejection,
/// `max_connections`, backup tier) is decided by the caller.
///
/// `pick` runs once per attempt on the request hot path: implementations allocate
/// nothing in steady state, do no `String` work and are called through generics, never
/// existentials.
public protocol BalancingPolicy: Sendable {
    /// The next server to try for this request, never one in `tried`, never an ineligible one; nil when none is left.
    mutating func pick<View: BalancerServerView, R: RandomNumberGenerator>(
        _ view: View, request: BalanceRequest, excluding tried: ServerSet, random: inout R
    ) -> Int?
}

extension BalancerServerView {
    /// Whether `index` may be chosen for this attempt: eligible and not tried yet.
    @inline(__always)
    func isCandidate(_ index: Int, excluding tried: ServerSet) -> Bool {
        !tried.contains(index) && isEligible(index)
    }

    /// The weight as a policy uses it: at least 1 even if a view reports less, so that a
    /// weight never divides by zero or makes a server unreachable by accident.
    @inline(__always)
    func effectiveWeight(_ index: Int) -> Int {
        max(1, weight(index))
    }

    /// Compares `load/weight` of two servers without floating point:
    /// `la/wa < lb/wb  ⇔  la·wb < lb·wa` (weights are positive). Negative when `a` is less
    /// loaded, zero on a tie, positive when `b` is.
    @inline(__always)
    func compareLoad(_ a: Int, _ b: Int) -> Int {
        let lhs = max(0, load(a)).multipliedReportingOverflow(by: effectiveWeight(b))
        let rhs = max(0, load(b)).multipliedReportingOverflow(by: effectiveWeight(a))
        // Loads and weights are far below the overflow range; saturate just in case.
        let l = lhs.overflow ? Int.max : lhs.partialValue
        let r = rhs.overflow ? Int.max : rhs.partialValue
        return l < r ? -1 : (l == r ? 0 : 1)
    }
}
