import PorticoCore
import PorticoProxy

/// The admin listener's view of a running `ProxyServer`: metrics, the status page's
/// stats history, upstream state, runtime drain/disable, reloads and readiness.
///
/// A separate type (rather than `ProxyServer` conforming itself) because the stats
/// history belongs to the admin listener: it exists, and is sampled, only while an
/// admin listener runs.
public struct ProxyAdminBackend: AdminBackend {
    public let server: ProxyServer
    /// Filled once a second by `runSampler()`; served at `GET /api/stats`.
    public let history: StatsHistory

    public init(server: ProxyServer, history: StatsHistory = StatsHistory()) {
        self.server = server
        self.history = history
    }

    /// Samples the server's metrics into `history` until the task is cancelled.
    public func runSampler(every interval: Duration = .seconds(1)) async {
        await self.server.runStatsSampler(into: self.history, every: interval)
    }

    public func prometheusExposition() async -> String {
        await self.server.prometheusExposition()
    }

    public func statsJSON() async -> String {
        self.history.json()
    }

    public func upstreamStatus() -> [UpstreamServerStatus] {
        self.server.upstreamStatus()
    }

    public func currentConfig() -> PorticoConfig {
        self.server.currentConfig()
    }

    public func reload(trigger: ReloadEvent.Trigger) async -> ReloadEvent {
        await self.server.reload(trigger: trigger)
    }

    public var reloadLog: ReloadLog { self.server.reloadLog }

    public func setAdminState(_ state: ServerAdminState, group: String, server: String) -> Bool {
        self.server.setAdminState(state, group: group, server: server)
    }

    public func purgeCache(url: String?, prefix: String?) -> Int? {
        self.server.purgeCache(url: url, prefix: prefix)
    }

    public func cacheStatus() -> CacheMetrics? {
        self.server.cacheMetrics()
    }

    /// Ready while the listeners accept: false before `start()` and from the moment a
    /// graceful shutdown (SIGTERM or a takeover) begins, so an outer load balancer's
    /// `/readyz` check stops sending new connections during the drain.
    public func isReady() -> Bool {
        self.server.isAcceptingTraffic
    }
}

extension ProxyServer {
    /// Whether the listeners are bound and no shutdown has begun.
    public var isAcceptingTraffic: Bool {
        self.state.withLockedValue { $0.isStarted && !$0.isShutDown }
    }
}
