import PorticoCore

/// One worker's balancing state for one upstream group: the policy's cursors and
/// weights, the retry budget and a random generator, all confined to the worker's
/// event loop (no locks; nginx keeps the same state per worker process).
struct WorkerGroupState {
    let group: UpstreamGroupRuntime
    private(set) var members: GroupMembers
    private(set) var balancer: Balancer
    var budget: RetryBudget
    var random: WorkerRandom

    init(group: UpstreamGroupRuntime) {
        self.group = group
        let members = group.members
        self.members = members
        self.balancer = Self.makeBalancer(group: group, members: members)
        self.budget = RetryBudget(
            percent: group.config.retries.budgetPercent,
            minPerSecond: group.config.retries.minRetriesPerSecond
        )
        self.random = WorkerRandom()
    }

    private static func makeBalancer(group: UpstreamGroupRuntime, members: GroupMembers) -> Balancer {
        Balancer(
            policy: group.config.balance,
            stickyFallback: group.config.sticky.fallback,
            serverIdentities: members.servers.map(\.identity),
            weights: members.servers.map(\.config.weight)
        )
    }

    /// Picks up a DNS change (one atomic load when nothing changed).
    @inline(__always)
    mutating func refresh(from group: UpstreamGroupRuntime) {
        guard group.membersVersion.load(ordering: .relaxed) != self.members.version else { return }
        let members = group.members
        self.members = members
        self.balancer = Self.makeBalancer(group: group, members: members)
    }

    enum Selection {
        case server(Int)
        /// Every available server that could take it is at `max_connections`: queue.
        case allBusy
        /// No server is available (all unhealthy, ejected or already tried).
        case noneAvailable
    }

    /// Chooses the server for the next attempt: primaries by the policy, then backups
    /// when no primary can take the request (RFC-free; nginx's `backup` semantics).
    mutating func select(
        request: BalanceRequest,
        tried: ServerSet,
        now: Int64,
        checkLimits: Bool
    ) -> Selection {
        let servers = self.members.servers
        guard !servers.isEmpty else { return .noneAvailable }
        let primaries = LiveServerView(servers: servers, now: now, backupTier: false, checkLimits: checkLimits)
        if let index = self.balancer.pick(primaries, request: request, excluding: tried, random: &self.random) {
            return .server(index)
        }
        if primaries.anyBusy(excluding: tried) { return .allBusy }
        guard self.members.hasBackups else { return .noneAvailable }
        let backups = LiveServerView(servers: servers, now: now, backupTier: true, checkLimits: checkLimits)
        if let index = self.balancer.pick(backups, request: request, excluding: tried, random: &self.random) {
            return .server(index)
        }
        return backups.anyBusy(excluding: tried) ? .allBusy : .noneAvailable
    }
}

/// SplitMix64: a fast, non-cryptographic generator for balancing decisions. The
/// system generator costs a `getrandom` system call per draw on Linux; balancing needs
/// spread, not secrecy.
struct WorkerRandom: RandomNumberGenerator {
    private var state: UInt64

    init() {
        var seed = SystemRandomNumberGenerator()
        self.state = seed.next()
    }

    init(seed: UInt64) {
        self.state = seed
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
