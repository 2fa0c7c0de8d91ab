/// `balance: consistent_hash`: the request's key (`hash_key`) is looked up on a
/// `HashRing`, and the first eligible, untried server clockwise from it is chosen.
///
/// Walking on past unavailable servers (instead of rehashing) means an ejected or
/// unhealthy server's keys spread over the others in ring order, while every other key
/// keeps its server — the same property as removing the server from the ring, without
/// rebuilding it. A request without a key (`hashKey == nil`) uses key 0.
public struct ConsistentHashPolicy: BalancingPolicy {
    public let ring: HashRing

    public init(ring: HashRing) {
        self.ring = ring
    }

    /// Builds the ring from the servers' stable identities and configured weights.
    public init(serverIdentities: [String], weights: [Int]) {
        self.init(ring: HashRing(serverIdentities: serverIdentities, weights: weights))
    }

    public mutating func pick<View: BalancerServerView, R: RandomNumberGenerator>(
        _ view: View, request: BalanceRequest, excluding tried: ServerSet, random: inout R
    ) -> Int? {
        choose(view, key: request.hashKey ?? 0, excluding: tried)
    }

    /// The choice itself; needs no mutable state. Servers the view has but the ring does
    /// not (the ring is stale) are never chosen: rebuild the ring when servers change.
    public func choose<View: BalancerServerView>(_ view: View, key: UInt64, excluding tried: ServerSet) -> Int? {
        guard !ring.isEmpty else { return nil }
        let serverCount = view.serverCount
        return ring.owners.withUnsafeBufferPointer { owners -> Int? in
            var position = ring.firstPosition(atOrAfter: key)
            var checkedForAny = false
            for _ in 0..<owners.count {
                let owner = Int(owners[position])
                if owner < serverCount, view.isCandidate(owner, excluding: tried) { return owner }
                if !checkedForAny {
                    // The first miss: make sure some server can still be found, so that
                    // an all-down group costs O(servers), not a walk of the whole ring.
                    checkedForAny = true
                    guard hasCandidate(view, serverCount: min(serverCount, ring.serverCount), excluding: tried) else {
                        return nil
                    }
                }
                position = position + 1 == owners.count ? 0 : position + 1
            }
            return nil
        }
    }

    private func hasCandidate<View: BalancerServerView>(_ view: View, serverCount: Int, excluding tried: ServerSet) -> Bool {
        for index in 0..<serverCount where view.isCandidate(index, excluding: tried) { return true }
        return false
    }
}
