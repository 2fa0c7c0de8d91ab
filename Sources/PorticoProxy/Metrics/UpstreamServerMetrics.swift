import NIOCore

/// The live counters of one upstream server, as the metrics exposition reports them.
/// Read from the shared `ServerState` atomics (the data path updates them anyway for
/// balancing and health), so reading them costs the data path nothing.
public struct UpstreamServerMetrics: Sendable, Equatable {
    public var group: String
    /// The configured server's resolved `ip:port` (never a client address).
    public var server: String
    /// Passing active health checks (true when there are none) and not ejected.
    public var healthy: Bool
    public var ejected: Bool
    public var inFlight: Int
    /// Attempts failed since the server state was created.
    public var failures: Int
    /// Passive-health ejections since the server state was created.
    public var ejections: Int

    public init(
        group: String, server: String, healthy: Bool, ejected: Bool, inFlight: Int,
        failures: Int, ejections: Int
    ) {
        self.group = group
        self.server = server
        self.healthy = healthy
        self.ejected = ejected
        self.inFlight = inFlight
        self.failures = failures
        self.ejections = ejections
    }
}

extension RuntimeSnapshot {
    /// Every server of every group, in configuration order.
    public func upstreamServerMetrics() -> [UpstreamServerMetrics] {
        let now = Int64(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds)
        return self.groups.flatMap { group in
            group.members.servers.map { server in
                let state = server.state
                let until = state.ejectedUntil.load(ordering: .relaxed)
                let ejected = until != 0 && now < until
                return UpstreamServerMetrics(
                    group: group.name,
                    server: server.identity,
                    healthy: state.activeHealthy.load(ordering: .relaxed) && !ejected,
                    ejected: ejected,
                    inFlight: state.inFlight.load(ordering: .relaxed),
                    failures: state.failuresTotal.load(ordering: .relaxed),
                    ejections: state.ejectionsTotal.load(ordering: .relaxed)
                )
            }
        }
    }
}
