import PorticoCore

/// The balancer's view of a group's servers at one instant: eligibility combines the
/// backup tier, the operator's admin state, active health, passive ejection and
/// `max_connections`; weights include `slow_start`.
struct LiveServerView: BalancerServerView {
    let servers: [UpstreamServer]
    let now: Int64
    /// Which tier is being chosen from: primaries first, backups only when no primary can.
    let backupTier: Bool
    /// Whether in-flight counts are kept (otherwise `max_connections` is unset anyway).
    let checkLimits: Bool

    var serverCount: Int { self.servers.count }

    @inline(__always)
    func isEligible(_ index: Int) -> Bool {
        let server = self.servers[index]
        guard server.isBackup == self.backupTier, server.state.takesNewRequests,
              server.state.isAvailable(now: self.now)
        else { return false }
        return !self.isFull(server)
    }

    /// A draining server still takes the requests its sticky cookie pins to it.
    @inline(__always)
    func acceptsPinned(_ index: Int) -> Bool {
        let server = self.servers[index]
        guard server.isBackup == self.backupTier, server.state.takesPinnedRequests,
              server.state.isAvailable(now: self.now)
        else { return false }
        return !self.isFull(server)
    }

    @inline(__always)
    func weight(_ index: Int) -> Int {
        let server = self.servers[index]
        return server.state.effectiveWeight(configured: server.config.weight, slowStart: server.slowStartNanos, now: self.now)
    }

    @inline(__always)
    func load(_ index: Int) -> Int {
        self.servers[index].state.inFlight.load(ordering: .relaxed)
    }

    @inline(__always)
    func isFull(_ server: UpstreamServer) -> Bool {
        guard self.checkLimits, let limit = server.config.maxConnections else { return false }
        return server.state.inFlight.load(ordering: .relaxed) >= limit
    }

    /// Some untried server of this tier is available but at its limit: worth waiting for.
    func anyBusy(excluding tried: ServerSet) -> Bool {
        guard self.checkLimits else { return false }
        for (index, server) in self.servers.enumerated()
        where server.isBackup == self.backupTier && !tried.contains(index) && server.state.takesNewRequests
            && self.isFull(server) && server.state.isAvailable(now: self.now)
        {
            return true
        }
        return false
    }

    /// Some server of this tier is available (enabled, healthy and not ejected), tried or not.
    func anyAvailable() -> Bool {
        self.servers.contains {
            $0.isBackup == self.backupTier && $0.state.takesNewRequests && $0.state.isAvailable(now: self.now)
        }
    }
}
