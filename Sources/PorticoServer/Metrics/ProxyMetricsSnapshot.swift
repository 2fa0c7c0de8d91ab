import PorticoProxy

/// Everything a scrape reports, taken at one moment: the workers' data-path counters
/// merged, the upstream servers' live state, listener refusals, reloads and process
/// figures, and the response cache's. A plain value: the exposition renders it, the stats history subtracts two
/// of them.
public struct ProxyMetricsSnapshot: Sendable, Equatable {
    /// Requests, durations, bytes and connections, summed over every worker.
    public var traffic: TrafficMetrics
    /// Every server of the configuration in force.
    public var upstreamServers: [UpstreamServerMetrics]
    /// Connections refused or evicted per listener.
    public var listenerRefusals: [ListenerRefusals]
    /// Reloads that took effect and that were refused, since start.
    public var reloadsSucceeded: Int
    public var reloadsFailed: Int
    /// Whether the last reload attempt took effect (nil when there was none yet).
    public var lastReloadSucceeded: Bool?
    public var process: ProcessStats
    /// The shared response cache's figures; nil when no route caches.
    public var cache: CacheMetrics?

    public init(
        traffic: TrafficMetrics = TrafficMetrics(),
        upstreamServers: [UpstreamServerMetrics] = [],
        listenerRefusals: [ListenerRefusals] = [],
        reloadsSucceeded: Int = 0,
        reloadsFailed: Int = 0,
        lastReloadSucceeded: Bool? = nil,
        process: ProcessStats = ProcessStats(),
        cache: CacheMetrics? = nil
    ) {
        self.traffic = traffic
        self.upstreamServers = upstreamServers
        self.listenerRefusals = listenerRefusals
        self.reloadsSucceeded = reloadsSucceeded
        self.reloadsFailed = reloadsFailed
        self.lastReloadSucceeded = lastReloadSucceeded
        self.process = process
        self.cache = cache
    }
}

/// `ListenerRuntime.refusedCounts` of one listener.
public struct ListenerRefusals: Sendable, Equatable {
    public var listener: String
    /// Refused by the listener's `allow`/`deny` list.
    public var access: Int
    /// Refused at `max_connections` / `max_connections_per_ip`.
    public var limit: Int
    /// Closed for a missing or malformed PROXY protocol header.
    public var proxyProtocol: Int
    /// Idle connections closed to make room under `security.max_connections`.
    public var evicted: Int

    public init(listener: String, access: Int, limit: Int, proxyProtocol: Int, evicted: Int) {
        self.listener = listener
        self.access = access
        self.limit = limit
        self.proxyProtocol = proxyProtocol
        self.evicted = evicted
    }
}

/// The version `portico_build_info` reports (the CLI's `--version` reads it too).
public enum PorticoBuildInfo {
    public static let version = "0.1.0"
}
