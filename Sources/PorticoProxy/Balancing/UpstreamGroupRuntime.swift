import Logging
import NIOCore
import PorticoCore
import Synchronization

/// Runtime view of an upstream group: its resolved servers with their shared live
/// state, passive-health decisions and the wait queue for full servers.
///
/// Per-request balancing state (round-robin cursors, weights, retry budget) is not
/// here but per worker (`WorkerGroupState`), as nginx keeps it per worker process, so
/// choosing a server takes no lock and touches no shared cache line beyond the
/// servers' atomics.
final class UpstreamGroupRuntime: Sendable {
    let name: String
    let config: UpstreamGroupConfig
    let keepalive: KeepaliveConfig
    /// Whether requests must be counted in flight (the policy reads load, or some
    /// server has `max_connections`).
    let countsInFlight: Bool
    let waitQueue: GroupWaitQueue
    private let membersBox: Mutex<GroupMembers>
    /// Mirrors `members.version` for a lock-free "did it change?" check per request.
    let membersVersion = Atomic<Int>(0)
    private let logger: Logger
    /// HTTP version and TLS context of connections to this group's servers.
    let transport: UpstreamTransport

    /// Resolves the group's servers (blocking for host names: this runs at start and on
    /// reload, not on an event loop) and takes over the live state of servers `previous`
    /// already had at the same address.
    init(config: UpstreamGroupConfig, previous: UpstreamGroupRuntime?, logger: Logger, transport: UpstreamTransport = .plain) {
        self.transport = transport
        self.name = config.name
        self.config = config
        self.keepalive = config.keepalive
        self.logger = logger
        let loadPolicies: [BalancePolicy] = [.leastRequests, .powerOfTwoChoices]
        self.countsInFlight =
            loadPolicies.contains(config.balance)
            || (config.balance == .sticky && loadPolicies.contains(config.sticky.fallback))
            || config.servers.contains { $0.maxConnections != nil }
        self.waitQueue = GroupWaitQueue(capacity: config.queue.size)
        var resolved: [Int: [SocketAddress]] = [:]
        for (index, server) in config.servers.enumerated() {
            switch DNSResolution.resolveAll(host: server.address.host, port: server.address.port) {
            case .success(let addresses):
                resolved[index] = addresses
            case .failure(let error):
                logger.error(
                    "upstream server has no address yet",
                    metadata: ["upstream": "\(config.name)", "server": "\(server.address)", "reason": "\(error)"]
                )
                // Keep the previous generation's addresses for this entry, if any.
                if let previous {
                    resolved[index] = previous.members.servers
                        .filter { $0.config.address == server.address }
                        .map(\.socketAddress)
                }
            }
        }
        let previousStates = previous?.statesByIdentity() ?? [:]
        let version = (previous?.membersVersion.load(ordering: .relaxed) ?? 0) + 1
        let members = Self.buildMembers(
            config: config, resolved: resolved, reuse: previousStates, version: version, logger: logger, transport: transport
        )
        self.membersBox = Mutex(members)
        self.membersVersion.store(version, ordering: .relaxed)
    }

    /// The current servers (takes a lock: workers cache it and re-read only when
    /// `membersVersion` moves).
    var members: GroupMembers {
        self.membersBox.withLock { $0 }
    }

    /// Whether some configured server is a host name (so DNS refreshes are needed).
    var hasHostNames: Bool {
        self.config.servers.contains { (try? SocketAddress(ipAddress: $0.address.host, port: 0)) == nil }
    }

    func statesByIdentity() -> [String: ServerState] {
        var states: [String: ServerState] = [:]
        for server in self.members.servers {
            states[server.identity] = server.state
        }
        return states
    }

    /// Applies a fresh resolution of the configured entries (config index → addresses).
    /// Entries missing from `resolved` keep their current addresses. Returns whether
    /// the server set changed.
    @discardableResult
    func applyResolution(_ resolved: [Int: [SocketAddress]]) -> Bool {
        let current = self.members
        var merged: [Int: [SocketAddress]] = [:]
        for (index, server) in self.config.servers.enumerated() {
            merged[index] =
                resolved[index]
                ?? current.servers.filter { $0.config.address == server.address }.map(\.socketAddress)
        }
        let before = current.servers.map(\.identity)
        let members = Self.buildMembers(
            config: self.config, resolved: merged, reuse: self.statesByIdentity(),
            version: current.version + 1, logger: self.logger, transport: self.transport
        )
        guard members.servers.map(\.identity) != before else { return false }
        self.membersBox.withLock { $0 = members }
        self.membersVersion.store(members.version, ordering: .releasing)
        self.logger.notice(
            "upstream servers changed after DNS refresh",
            metadata: ["upstream": "\(self.name)", "servers": "\(members.servers.map(\.identity))"]
        )
        return true
    }

    private static func buildMembers(
        config: UpstreamGroupConfig,
        resolved: [Int: [SocketAddress]],
        reuse: [String: ServerState],
        version: Int,
        logger: Logger,
        transport: UpstreamTransport
    ) -> GroupMembers {
        let startHealthy = config.healthCheck?.startHealthy ?? true
        var servers: [UpstreamServer] = []
        var seen = Set<String>()
        for (index, serverConfig) in config.servers.enumerated() {
            for address in resolved[index] ?? [] {
                let identity = HostPort(host: address.ipAddress ?? serverConfig.address.host, port: serverConfig.address.port)
                    .description
                guard seen.insert(identity).inserted else { continue }
                let state =
                    reuse[identity]
                    ?? ServerState(identity: identity, groupName: config.name, startHealthy: startHealthy, logger: logger)
                servers.append(UpstreamServer(config: serverConfig, socketAddress: address, state: state, transport: transport))
            }
        }
        return GroupMembers(servers: servers, version: version)
    }

    // MARK: Passive health (outlier detection)

    /// An attempt on `server` failed in a way passive health counts (connect failure,
    /// timeout, broken response, or a status listed in `outlier_detection.statuses`).
    func attemptFailed(on server: UpstreamServer, now: Int64, reason: String) {
        let outlier = self.config.outlierDetection
        guard server.state.recordFailure(now: now, config: outlier) else { return }
        let members = self.members
        guard
            OutlierState.mayEject(
                currentlyEjected: members.ejectedCount(),
                groupSize: members.servers.count,
                maxEjectedPercent: outlier.maxEjectedPercent
            )
        else {
            self.logger.debug(
                "upstream server not ejected: max_ejected_percent reached",
                metadata: ["upstream": "\(self.name)", "server": "\(server.identity)"]
            )
            return
        }
        server.state.eject(
            now: now, config: outlier,
            reason: "\(outlier.consecutiveFailures) consecutive failures, last: \(reason)"
        )
    }

    /// A response arrived whose status passive health does not count as a failure.
    @inline(__always)
    func attemptSucceeded(on server: UpstreamServer) {
        server.state.recordSuccess()
    }
}

/// One server's live state, for status pages, the admin API and tests.
public struct UpstreamServerStatus: Sendable, Equatable {
    public var group: String
    /// `ip:port`.
    public var server: String
    /// Passing active health checks (true when there are none).
    public var healthy: Bool
    /// Currently ejected by passive health.
    public var ejected: Bool
    public var backup: Bool
    /// Requests in flight (counted only when the policy or `max_connections` needs it).
    public var inFlight: Int
    public var failures: Int
    /// The operator's runtime state (admin API drain/disable).
    public var adminState: ServerAdminState = .enabled
    /// Configured `weight` (before `slow_start`).
    public var weight: Int = 1
}

extension RuntimeSnapshot {
    /// Every server of every group, in configuration order.
    public func upstreamStatus() -> [UpstreamServerStatus] {
        let now = Int64(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds)
        return self.groups.flatMap { group in
            group.members.servers.map { server in
                let until = server.state.ejectedUntil.load(ordering: .relaxed)
                return UpstreamServerStatus(
                    group: group.name,
                    server: server.identity,
                    healthy: server.state.activeHealthy.load(ordering: .relaxed),
                    ejected: until != 0 && now < until,
                    backup: server.isBackup,
                    inFlight: server.state.inFlight.load(ordering: .relaxed),
                    failures: server.state.failuresTotal.load(ordering: .relaxed),
                    adminState: server.state.adminState,
                    weight: server.config.weight
                )
            }
        }
    }
}
