/// One of the four policies that need no request key: the possible `sticky.fallback`s
/// (`BalancePolicy.stickyFallbacks`) and the keyless `balance:` values. An enum of the
/// concrete types rather than `any BalancingPolicy`, so a pick is a switch and a direct
/// call, with no existential box.
enum KeylessPolicy: BalancingPolicy {
    case roundRobin(RoundRobinPolicy)
    case weightedRoundRobin(SmoothWeightedRoundRobinPolicy)
    case leastRequests(LeastRequestsPolicy)
    case powerOfTwoChoices(PowerOfTwoChoicesPolicy)
    /// Held only while a payload is being mutated (see `pick`); never observed.
    case transient

    /// The policy for `policy`; `nil` when it needs a key (`consistent_hash`, `sticky`).
    init?(_ policy: BalancePolicy, serverCount: Int) {
        switch policy {
        case .roundRobin: self = .roundRobin(RoundRobinPolicy())
        case .weightedRoundRobin: self = .weightedRoundRobin(SmoothWeightedRoundRobinPolicy(serverCount: serverCount))
        case .leastRequests: self = .leastRequests(LeastRequestsPolicy())
        case .powerOfTwoChoices: self = .powerOfTwoChoices(PowerOfTwoChoicesPolicy())
        case .consistentHash, .sticky: return nil
        }
    }

    /// Whether the policy reads `view.load(_:)`.
    var usesLoad: Bool {
        switch self {
        case .leastRequests, .powerOfTwoChoices: true
        case .roundRobin, .weightedRoundRobin, .transient: false
        }
    }

    mutating func pick<View: BalancerServerView, R: RandomNumberGenerator>(
        _ view: View, request: BalanceRequest, excluding tried: ServerSet, random: inout R
    ) -> Int? {
        switch self {
        case .roundRobin(var policy):
            let choice = policy.pick(view, request: request, excluding: tried, random: &random)
            self = .roundRobin(policy)
            return choice
        case .weightedRoundRobin(var policy):
            // Drop the enum's reference to the current-weights array before mutating
            // the local copy, so the array stays uniquely referenced and is updated in
            // place instead of being copied on every pick.
            self = .transient
            let choice = policy.pick(view, request: request, excluding: tried, random: &random)
            self = .weightedRoundRobin(policy)
            return choice
        case .leastRequests(let policy):
            return policy.choose(view, excluding: tried, random: &random)
        case .powerOfTwoChoices(let policy):
            return policy.choose(view, excluding: tried, random: &random)
        case .transient:
            preconditionFailure("KeylessPolicy used while being mutated")
        }
    }
}
