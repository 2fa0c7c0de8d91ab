import CoreMetrics
import Prometheus
import Synchronization

/// Control-plane metrics — upstream server health and ejections, listener refusals,
/// reloads, build and process figures — kept with swift-metrics over a
/// `PrometheusCollectorRegistry` that belongs to one `ProxyServer` (an explicit
/// `PrometheusMetricsFactory`, never `MetricsSystem.bootstrap`, so servers and tests in
/// one process do not share metrics) and rendered with `registry.emit(into:)`.
///
/// These values already live elsewhere as monotonic counters (`ServerState`'s atomics,
/// `ListenerRuntime`'s refusal counters, `ReloadLog`), so each scrape brings the
/// swift-metrics counters up to date by the difference since the previous scrape, and
/// sets the gauges; series of servers that left the configuration are destroyed. Other
/// parts of Portico can record into the same registry directly with `factory`
/// (`ProxyServer.metricsFactory`), e.g. `Counter(label:dimensions:factory:)`, and give
/// the family its HELP text with `describe(_:help:)`.
///
/// The data-path histograms are *not* kept here: swift-prometheus histograms are fed
/// one observation at a time (behind a lock), while Portico's workers aggregate into
/// lock-free per-worker buckets that are merged at scrape time. Feeding those into a
/// swift-prometheus histogram would mean re-recording each observation, so they are
/// rendered directly (`TrafficExposition`).
public final class ControlPlaneMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory

    private struct SeriesKey: Hashable {
        var name: String
        var labels: [String]
    }

    private struct State {
        var counters: [SeriesKey: (counter: CoreMetrics.Counter, seen: Int)] = [:]
        var gauges: [SeriesKey: CoreMetrics.Gauge] = [:]
        var help: [String: String] = ControlPlaneMetrics.builtInHelp
        var sources: [@Sendable () -> String] = []
    }

    private let state = Mutex(State())

    public init() {
        self.registry = PrometheusCollectorRegistry()
        self.factory = PrometheusMetricsFactory(registry: self.registry)
    }

    /// HELP text for a family recorded through `factory` (swift-metrics has no place
    /// for it; it is added when the family is rendered).
    public func describe(_ name: String, help: String) {
        self.state.withLock { $0.help[name] = help }
    }

    /// See `ProxyServer.addMetricsSource(_:)`.
    func addSource(_ render: @escaping @Sendable () -> String) {
        self.state.withLock { $0.sources.append(render) }
    }

    /// The registered extra families, rendered now (outside the lock).
    func extraSources() -> [String] {
        self.state.withLock { $0.sources }.map { $0() }
    }

    static let builtInHelp: [String: String] = [
        "portico_upstream_server_healthy": "1 when the server passes active health checks and is not ejected.",
        "portico_upstream_server_in_flight_requests": "Requests in flight to the server (counted when the balancing policy or max_connections needs it).",
        "portico_upstream_server_failures_total": "Attempts to the server that failed (connect errors, timeouts, failing statuses).",
        "portico_upstream_server_ejections_total": "Times passive health checks ejected the server.",
        "portico_connections_refused_total": "Client connections refused or closed by listener controls, by reason.",
        "portico_config_reloads_total": "Configuration reload attempts, by result.",
        "portico_config_last_reload_successful": "1 when the last reload attempt took effect (or none was made), else 0.",
        "portico_build_info": "Always 1; the version label says which build is running.",
        "process_start_time_seconds": "Start time of the process since unix epoch in seconds.",
        "process_resident_memory_bytes": "Resident memory size in bytes.",
        "process_open_fds": "Number of open file descriptors.",
    ]

    /// Brings the registry up to date with `snapshot` (scrape time).
    func update(from snapshot: ProxyMetricsSnapshot) {
        self.state.withLock { state in
            var live = Set<SeriesKey>()
            func counter(_ name: String, _ labels: [(String, String)], _ value: Int) {
                let key = SeriesKey(name: name, labels: labels.flatMap { [$0.0, $0.1] })
                live.insert(key)
                let entry = state.counters[key] ?? (CoreMetrics.Counter(label: name, dimensions: labels, factory: self.factory), 0)
                // A source that went down was recreated (a server that left and came
                // back): everything it counted since is new.
                let delta = value >= entry.seen ? value - entry.seen : value
                if delta > 0 { entry.counter.increment(by: delta) }
                state.counters[key] = (entry.counter, value)
            }
            func gauge(_ name: String, _ labels: [(String, String)], _ value: Double) {
                let key = SeriesKey(name: name, labels: labels.flatMap { [$0.0, $0.1] })
                live.insert(key)
                let gauge = state.gauges[key] ?? CoreMetrics.Gauge(label: name, dimensions: labels, factory: self.factory)
                gauge.record(value)
                state.gauges[key] = gauge
            }

            for server in snapshot.upstreamServers {
                let labels = [("upstream", server.group), ("server", server.server)]
                gauge("portico_upstream_server_healthy", labels, server.healthy ? 1 : 0)
                gauge("portico_upstream_server_in_flight_requests", labels, Double(server.inFlight))
                counter("portico_upstream_server_failures_total", labels, server.failures)
                counter("portico_upstream_server_ejections_total", labels, server.ejections)
            }
            for refusals in snapshot.listenerRefusals {
                let name = "portico_connections_refused_total"
                counter(name, [("listener", refusals.listener), ("reason", "access")], refusals.access)
                counter(name, [("listener", refusals.listener), ("reason", "limit")], refusals.limit)
                counter(name, [("listener", refusals.listener), ("reason", "proxy_protocol")], refusals.proxyProtocol)
                counter(name, [("listener", refusals.listener), ("reason", "evicted")], refusals.evicted)
            }
            counter("portico_config_reloads_total", [("result", "success")], snapshot.reloadsSucceeded)
            counter("portico_config_reloads_total", [("result", "failure")], snapshot.reloadsFailed)
            gauge("portico_config_last_reload_successful", [], snapshot.lastReloadSucceeded == false ? 0 : 1)
            gauge("portico_build_info", [("version", PorticoBuildInfo.version)], 1)
            gauge("process_start_time_seconds", [], snapshot.process.startTimeSeconds)
            gauge("process_resident_memory_bytes", [], Double(snapshot.process.residentMemoryBytes))
            gauge("process_open_fds", [], Double(snapshot.process.openFileDescriptors))

            // Servers (or listeners) that are gone: their series go too.
            for (key, entry) in state.counters where !live.contains(key) && Self.isSynced(key.name) {
                entry.counter.destroy()
                state.counters[key] = nil
            }
            for (key, gauge) in state.gauges where !live.contains(key) && Self.isSynced(key.name) {
                gauge.destroy()
                state.gauges[key] = nil
            }
        }
    }

    private static func isSynced(_ name: String) -> Bool {
        builtInHelp[name] != nil
    }

    /// The whole exposition of `snapshot`: the data-path families (and the cache's, when
    /// one exists), then the registry's
    /// (brought up to date first), then registered sources and `extraFamilies`.
    public func exposition(of snapshot: ProxyMetricsSnapshot, extraFamilies: [String] = []) -> String {
        var out = ""
        out.reserveCapacity(16 * 1024)
        TrafficExposition.render(snapshot.traffic, into: &out)
        if let cache = snapshot.cache { CacheExposition.render(cache, into: &out) }
        self.update(from: snapshot)
        out += self.render()
        for family in self.extraSources() + extraFamilies {
            out += family
            if !family.isEmpty && !family.hasSuffix("\n") { out += "\n" }
        }
        return out
    }

    /// Every family of the registry in the text format, with HELP lines added.
    func render() -> String {
        var bytes: [UInt8] = []
        self.registry.emit(into: &bytes)
        let help = self.state.withLock { $0.help }
        var out = ""
        out.reserveCapacity(bytes.count + help.count * 80)
        var lastHelp: Substring = ""
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# HELP ") {
                lastHelp = line.dropFirst("# HELP ".count).prefix { $0 != " " }
            } else if line.hasPrefix("# TYPE ") {
                let name = line.dropFirst("# TYPE ".count).prefix { $0 != " " }
                if name != lastHelp, let text = help[String(name)] {
                    out += "# HELP \(name) \(PrometheusText.escapeHelp(text))\n"
                }
            }
            out += line
            out += "\n"
        }
        return out
    }
}
