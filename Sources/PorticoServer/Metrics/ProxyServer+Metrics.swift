import CoreMetrics
import NIOCore
import PorticoProxy
import Prometheus

extension ProxyServer {
    /// Everything the metrics report, now: each worker copies its counters on its own
    /// loop (no lock on the data path), the copies are summed, and the shared control
    /// state (servers, listeners, reloads, process, the response cache's counters) is
    /// read alongside.
    public func metricsSnapshot() async -> ProxyMetricsSnapshot {
        var parts: [TrafficMetrics] = []
        for worker in self.workers.values {
            if let part = try? await worker.trafficMetrics().get() {
                parts.append(part)
            }
        }
        var traffic = TrafficMetrics.merged(parts)
        let runtimes = self.listenerRuntimes
        for runtime in runtimes where traffic.listeners[runtime.name] == nil {
            // A listener that has not accepted anything yet still shows (zero).
            traffic.listeners[runtime.name] = ListenerTraffic()
        }
        let reloads = self.reloadLog
        let snapshot = self.current.withLockedValue { $0 }
        return ProxyMetricsSnapshot(
            traffic: traffic,
            upstreamServers: snapshot.upstreamServerMetrics(),
            listenerRefusals: runtimes.map { runtime in
                let counts = runtime.refusedCounts
                return ListenerRefusals(
                    listener: runtime.name, access: counts.access, limit: counts.limit,
                    proxyProtocol: counts.proxyProtocol, evicted: counts.evicted
                )
            },
            reloadsSucceeded: reloads.succeededCount,
            reloadsFailed: reloads.failedCount,
            lastReloadSucceeded: reloads.recent.last?.succeeded,
            process: ProcessStats.current(),
            cache: snapshot.cache.map(CacheMetrics.init(cache:))
        )
    }

    /// The `/metrics` body: Prometheus text format 0.0.4 (`PrometheusText.contentType`).
    ///
    /// - Parameter extraFamilies: pre-rendered families (with their `# HELP`/`# TYPE`
    ///   lines, see `PrometheusText`) appended after Portico's own; sources registered
    ///   with `addMetricsSource(_:)` are appended too.
    public func prometheusExposition(extraFamilies: [String] = []) async -> String {
        let snapshot = await self.metricsSnapshot()
        return self.prometheusExposition(of: snapshot, extraFamilies: extraFamilies)
    }

    /// Renders a snapshot already taken (the admin listener may take one snapshot for
    /// both the exposition and the status page).
    public func prometheusExposition(of snapshot: ProxyMetricsSnapshot, extraFamilies: [String] = []) -> String {
        self.controlPlaneMetrics.exposition(of: snapshot, extraFamilies: extraFamilies)
    }

    /// The swift-metrics factory over this server's Prometheus registry, for recording
    /// control-plane events from elsewhere (e.g. `Counter(label:dimensions:factory:)`);
    /// name the family's HELP text with `controlPlaneMetrics.describe(_:help:)`.
    public var metricsFactory: any MetricsFactory { self.controlPlaneMetrics.factory }

    /// Adds a family rendered at each scrape — the place for a counter kept elsewhere,
    /// such as access-log lines dropped under back-pressure:
    ///
    /// ```swift
    /// server.addMetricsSource {
    ///     var out = ""
    ///     PrometheusText.header("portico_access_log_dropped_lines_total", .counter, help: "…", into: &out)
    ///     PrometheusText.sample("portico_access_log_dropped_lines_total", [], writer.droppedCount, into: &out)
    ///     return out
    /// }
    /// ```
    public func addMetricsSource(_ render: @escaping @Sendable () -> String) {
        self.controlPlaneMetrics.addSource(render)
    }

    /// The access-log writer's back-pressure counters (`access_log.buffer_limit`): lines
    /// dropped rather than blocking an event loop when the destination stalls.
    static func accessLogFamilies(_ writer: AccessLogWriter) -> String {
        var out = ""
        PrometheusText.header(
            "portico_access_log_dropped_lines_total", .counter,
            help: "Access-log lines dropped because the destination could not keep up (access_log.buffer_limit).",
            into: &out
        )
        PrometheusText.sample("portico_access_log_dropped_lines_total", [], writer.droppedLines, into: &out)
        PrometheusText.header(
            "portico_access_log_pending_bytes", .gauge,
            help: "Access-log bytes queued for the writer.",
            into: &out
        )
        PrometheusText.sample("portico_access_log_pending_bytes", [], writer.pendingBytes, into: &out)
        return out
    }
}
