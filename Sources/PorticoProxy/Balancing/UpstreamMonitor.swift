import Logging
import NIOCore
import NIOPosix
import PorticoCore
import Synchronization

/// Everything that watches upstream servers off the request path: the active health
/// checkers and the periodic DNS re-resolution of servers given by host name.
///
/// One monitor lives as long as the `ProxyServer`; `watch(_:)` points it at a new
/// configuration generation (on start and on reload). Server state is shared with the
/// snapshot's groups, so a checker's verdict is what the balancers see.
public final class UpstreamMonitor: Sendable {
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let watched = Mutex<Watched>(Watched())

    private struct Watched {
        var checkers: [ActiveHealthChecker] = []
        var dnsTasks: [RepeatedTask] = []
        var isStopped = false
    }

    public init(eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Starts watching `snapshot`'s groups, stopping whatever watched the previous one.
    public func watch(_ snapshot: RuntimeSnapshot) {
        var checkers: [ActiveHealthChecker] = []
        var dnsTasks: [RepeatedTask] = []
        for group in snapshot.groups {
            var checker: ActiveHealthChecker?
            if let config = group.config.healthCheck {
                let made = Self.makeChecker(for: group, config: config, on: self.eventLoopGroup.next())
                checkers.append(made)
                checker = made
            }
            if group.hasHostNames {
                dnsTasks.append(self.scheduleDNSRefresh(for: group, checker: checker))
            }
        }
        let previous = self.watched.withLock { watched -> Watched in
            let old = watched
            if watched.isStopped {
                return Watched(checkers: checkers, dnsTasks: dnsTasks, isStopped: true)
            }
            watched.checkers = checkers
            watched.dnsTasks = dnsTasks
            return old
        }
        for task in previous.dnsTasks { task.cancel() }
        for old in previous.checkers { _ = old.stop() }
        if previous.isStopped {
            for task in dnsTasks { task.cancel() }
            for made in checkers { _ = made.stop() }
        }
    }

    /// Stops every checker and refresh (server shutdown).
    public func stop() async {
        let watched = self.watched.withLock { watched -> Watched in
            let old = watched
            watched = Watched(isStopped: true)
            return old
        }
        for task in watched.dnsTasks { task.cancel() }
        for checker in watched.checkers {
            try? await checker.stop().get()
        }
    }

    private static func targets(of group: UpstreamGroupRuntime, config: HealthCheckConfig) -> [ActiveHealthChecker.Target] {
        group.members.servers.map { server in
            ActiveHealthChecker.Target(
                id: server.identity,
                address: server.socketAddress,
                hostHeader: config.host ?? server.hostHeader,
                tls: server.usesTLS ? server.transport.tlsContext.map { HealthProbeTLS(context: $0, serverName: server.tlsName) } : nil
            )
        }
    }

    private static func initialHealth(of group: UpstreamGroupRuntime) -> [String: Bool] {
        var health: [String: Bool] = [:]
        for server in group.members.servers {
            health[server.identity] = server.state.activeHealthy.load(ordering: .relaxed)
        }
        return health
    }

    private static func makeChecker(
        for group: UpstreamGroupRuntime,
        config: HealthCheckConfig,
        on eventLoop: any EventLoop
    ) -> ActiveHealthChecker {
        let checker = ActiveHealthChecker(eventLoop: eventLoop, config: config) { target, healthy, reason in
            // Looked up by identity each time: DNS refreshes replace the member list.
            guard let server = group.members.servers.first(where: { $0.identity == target.id }) else { return }
            let now = Int64(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds)
            server.state.setActiveHealth(healthy, now: now, reason: reason)
        }
        // Seed each server's verdict from its shared state (it survives reloads), then probe.
        let targets = Self.targets(of: group, config: config)
        checker.update(targets: targets, initialHealth: Self.initialHealth(of: group))
        checker.start(targets: targets)
        return checker
    }

    /// Re-resolves the group's host names every `dns_refresh` on the blocking-I/O pool,
    /// and hands a changed server list to the health checker.
    private func scheduleDNSRefresh(for group: UpstreamGroupRuntime, checker: ActiveHealthChecker?) -> RepeatedTask {
        let loop = self.eventLoopGroup.next()
        let interval = TimeAmount(group.config.dnsRefresh)
        let logger = self.logger
        return loop.scheduleRepeatedAsyncTask(initialDelay: interval, delay: interval) { _ in
            NIOThreadPool.singleton.runIfActive(eventLoop: loop) {
                var resolved: [Int: [SocketAddress]] = [:]
                for (index, server) in group.config.servers.enumerated() {
                    switch DNSResolution.resolveAll(host: server.address.host, port: server.address.port) {
                    case .success(let addresses) where !addresses.isEmpty:
                        resolved[index] = addresses
                    case .success:
                        break
                    case .failure(let error):
                        // Keep the last known addresses: a DNS outage must not empty the group.
                        logger.warning(
                            "DNS refresh failed; keeping the previous addresses",
                            metadata: ["upstream": "\(group.name)", "reason": "\(error)"]
                        )
                    }
                }
                if group.applyResolution(resolved), let checker, let config = group.config.healthCheck {
                    checker.update(targets: Self.targets(of: group, config: config), initialHealth: Self.initialHealth(of: group))
                }
            }
        }
    }
}
