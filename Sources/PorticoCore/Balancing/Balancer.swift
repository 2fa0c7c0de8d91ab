/// The balancer of one upstream group, as stored by the runtime per worker: the
/// configured policy, built from the group's `balance:` (and `sticky.fallback`), with
/// any state it needs (round-robin cursor, smooth-WRR weights, hash ring).
///
/// A concrete struct over an enum of the concrete policies, so the per-request `pick`
/// is a switch and direct calls: no existentials, no allocation in steady state. Each
/// worker owns its own copy (the state is per worker, as in nginx); the hash ring's
/// storage is shared between copies.
public struct Balancer: Sendable {
    enum Storage: Sendable {
        case keyless(KeylessPolicy)
        case consistentHash(ConsistentHashPolicy)
        case sticky(StickyPolicy<KeylessPolicy>)
        /// Held only while a payload is being mutated (see `pick`); never observed.
        case transient
    }

    private var storage: Storage
    /// The policy actually in use (see `init` for the substitutions it makes).
    public let policy: BalancePolicy
    /// For `sticky`, the fallback actually in use; otherwise `nil`.
    public let stickyFallback: BalancePolicy?

    /// Builds the balancer for a group.
    ///
    /// - Parameters:
    ///   - policy: the group's `balance:`.
    ///   - stickyFallback: `sticky.fallback`, used only when `policy` is `.sticky`. A
    ///     fallback that itself needs a key (`sticky`, `consistent_hash`; config
    ///     validation rejects these) is replaced by round robin rather than failing.
    ///   - serverIdentities: stable per-server strings (e.g. `"10.0.0.1:8080"`) in server
    ///     index order; the hash ring is built from them for `consistent_hash`.
    ///   - weights: configured weights in server index order (ring sizes; the
    ///     weighted policies read live weights from the view at each pick).
    public init(policy: BalancePolicy, stickyFallback: BalancePolicy, serverIdentities: [String], weights: [Int]) {
        let serverCount = serverIdentities.count
        self.policy = policy
        switch policy {
        case .consistentHash:
            self.storage = .consistentHash(ConsistentHashPolicy(serverIdentities: serverIdentities, weights: weights))
            self.stickyFallback = nil
        case .sticky:
            let fallback = KeylessPolicy(stickyFallback, serverCount: serverCount) != nil ? stickyFallback : .roundRobin
            self.storage = .sticky(StickyPolicy(fallback: KeylessPolicy(fallback, serverCount: serverCount)!))
            self.stickyFallback = fallback
        case .roundRobin, .weightedRoundRobin, .leastRequests, .powerOfTwoChoices:
            self.storage = .keyless(KeylessPolicy(policy, serverCount: serverCount)!)
            self.stickyFallback = nil
        }
    }

    /// The next server to try for this request, never one in `tried`, never an ineligible
    /// one; nil when none is left. `request.hashKey` is read by `consistent_hash`,
    /// `request.stickyServer` by `sticky`; other policies ignore them.
    public mutating func pick<View: BalancerServerView, R: RandomNumberGenerator>(
        _ view: View, request: BalanceRequest, excluding tried: ServerSet, random: inout R
    ) -> Int? {
        switch storage {
        case .keyless(var policy):
            // Release the enum's copy first so the payload's arrays stay uniquely
            // referenced and are mutated in place (no copy-on-write per pick).
            storage = .transient
            let choice = policy.pick(view, request: request, excluding: tried, random: &random)
            storage = .keyless(policy)
            return choice
        case .consistentHash(let policy):
            return policy.choose(view, key: request.hashKey ?? 0, excluding: tried)
        case .sticky(var policy):
            storage = .transient
            let choice = policy.pick(view, request: request, excluding: tried, random: &random)
            storage = .sticky(policy)
            return choice
        case .transient:
            preconditionFailure("Balancer used while being mutated")
        }
    }

    /// True when the policy reads `view.load(_:)` (least_requests, power_of_two_choices, or sticky with one of those as fallback), so the runtime only counts in-flight requests when needed.
    public var usesLoad: Bool {
        switch storage {
        case .keyless(let policy): policy.usesLoad
        case .sticky(let policy): policy.fallback.usesLoad
        case .consistentHash, .transient: false
        }
    }

    /// The hash ring, for `consistent_hash`; `nil` otherwise.
    public var hashRing: HashRing? {
        if case .consistentHash(let policy) = storage { return policy.ring }
        return nil
    }

    /// Address of the smooth-WRR state (directly or as sticky fallback), for tests that
    /// check picks mutate it in place; `nil` for other policies.
    var weightedStateAddress: UnsafeRawPointer? {
        switch storage {
        case .keyless(.weightedRoundRobin(let policy)): policy.currentWeightsAddress
        case .sticky(let sticky):
            if case .weightedRoundRobin(let policy) = sticky.fallback { policy.currentWeightsAddress } else { nil }
        default: nil
        }
    }
}
