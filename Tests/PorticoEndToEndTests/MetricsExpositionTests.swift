import Foundation
import PorticoProxy
import PorticoServer
import Testing

/// The exposition format and the status page's history, from synthetic snapshots
/// (no sockets): escaping, parse-back of every line, counter syncing, and the history's
/// per-interval deltas and percentiles.
@Suite struct MetricsExpositionTests {
    static func traffic(requests: Int, errors: Int, latencyNanos: Int64, bytes: Int, route: String = "api") -> TrafficMetrics {
        var traffic = TrafficMetrics()
        var counts = RouteTraffic()
        var forwarded = StatusClassCounts()
        var local = StatusClassCounts()
        for _ in 0..<(requests - errors) { forwarded.count(status: 200) }
        for _ in 0..<errors { local.count(status: 503) }
        counts.requests["origin"] = forwarded
        counts.requests[TrafficMetrics.notForwarded] = local
        for _ in 0..<requests { counts.duration.record(nanos: latencyNanos) }
        counts.responseBytes = bytes
        traffic.routes[route] = counts
        var upstream = UpstreamTraffic()
        upstream.retries = 1
        upstream.duration.record(nanos: latencyNanos)
        traffic.upstreams["origin"] = upstream
        var listener = ListenerTraffic()
        listener.accepted = 5
        listener.open = 2
        listener.inFlight = 1
        traffic.listeners["main"] = listener
        return traffic
    }

    static func snapshot(traffic: TrafficMetrics, reloads: Int = 0, servers: [UpstreamServerMetrics]? = nil) -> ProxyMetricsSnapshot {
        ProxyMetricsSnapshot(
            traffic: traffic,
            upstreamServers: servers ?? [
                UpstreamServerMetrics(
                    group: "origin", server: "127.0.0.1:8080", healthy: true, ejected: false, inFlight: 3,
                    failures: 1, ejections: 2
                )
            ],
            listenerRefusals: [ListenerRefusals(listener: "main", access: 1, limit: 2, proxyProtocol: 0, evicted: 0)],
            reloadsSucceeded: reloads,
            reloadsFailed: 1,
            lastReloadSucceeded: false,
            process: ProcessStats(startTimeSeconds: 1_700_000_000.5, residentMemoryBytes: 4096, openFileDescriptors: 9)
        )
    }

    @Test func labelValuesAndHelpAreEscaped() {
        #expect(PrometheusText.escapeLabelValue("plain") == "plain")
        #expect(PrometheusText.escapeLabelValue("a\"b\\c\nd") == "a\\\"b\\\\c\\nd")
        #expect(PrometheusText.escapeHelp("x\\y\nz \"q\"") == "x\\\\y\\nz \"q\"")
        #expect(PrometheusText.labelSet([]) == "")
        #expect(PrometheusText.labelSet([("a", "1"), ("b", "\"")]) == "{a=\"1\",b=\"\\\"\"}")
        #expect(PrometheusText.formatValue(2) == "2")
        #expect(PrometheusText.formatValue(0.0025) == "0.0025")
        #expect(PrometheusText.formatValue(.infinity) == "+Inf")
    }

    @Test func everyLineParsesBackWithItsTypeAndValues() throws {
        let metrics = ControlPlaneMetrics()
        let awkward = "we\"ird\\name\nx"
        var traffic = Self.traffic(requests: 10, errors: 2, latencyNanos: 3_000_000, bytes: 1000)
        traffic.routes[awkward] = RouteTraffic()
        let text = metrics.exposition(
            of: Self.snapshot(traffic: traffic),
            extraFamilies: ["# HELP portico_extra_total An extra family.\n# TYPE portico_extra_total counter\nportico_extra_total 7"]
        )
        let parsed = try ParsedExposition(text)
        #expect(parsed.types["portico_requests_total"] == "counter")
        #expect(parsed.types["portico_request_duration_seconds"] == "histogram")
        #expect(parsed.types["portico_open_connections"] == "gauge")
        #expect(parsed.value("portico_requests_total", ["route": "api", "upstream": "origin", "code_class": "2xx"]) == 8)
        #expect(parsed.value("portico_requests_total", ["route": "api", "upstream": "none", "code_class": "5xx"]) == 2)
        #expect(parsed.value("portico_request_duration_seconds_count", ["route": "api"]) == 10)
        #expect(parsed.value("portico_request_duration_seconds_bucket", ["route": "api", "le": "+Inf"]) == 10)
        #expect(parsed.value("portico_request_duration_seconds_bucket", ["route": "api", "le": "0.0025"]) == 0)
        #expect(parsed.value("portico_request_duration_seconds_bucket", ["route": "api", "le": "0.005"]) == 10)
        #expect(abs(parsed.value("portico_request_duration_seconds_sum", ["route": "api"])! - 0.03) < 1e-9)
        #expect(parsed.value("portico_upstream_duration_seconds_count", ["upstream": "origin"]) == 1)
        #expect(parsed.value("portico_upstream_retries_total", ["upstream": "origin"]) == 1)
        #expect(parsed.value("portico_response_bytes_total", ["route": "api"]) == 1000)
        #expect(parsed.value("portico_open_connections", ["listener": "main"]) == 2)
        #expect(parsed.value("portico_in_flight_requests", ["listener": "main"]) == 1)
        #expect(parsed.value("portico_connections_total", ["listener": "main"]) == 5)
        #expect(parsed.value("portico_connections_refused_total", ["listener": "main", "reason": "limit"]) == 2)
        #expect(parsed.value("portico_upstream_server_healthy", ["upstream": "origin", "server": "127.0.0.1:8080"]) == 1)
        #expect(parsed.value("portico_upstream_server_in_flight_requests", ["server": "127.0.0.1:8080"]) == 3)
        #expect(parsed.value("portico_upstream_server_ejections_total", ["server": "127.0.0.1:8080"]) == 2)
        #expect(parsed.value("portico_config_reloads_total", ["result": "failure"]) == 1)
        #expect(parsed.value("portico_config_reloads_total", ["result": "success"]) == 0)
        #expect(parsed.value("portico_config_last_reload_successful") == 0)
        #expect(parsed.value("portico_build_info", ["version": PorticoBuildInfo.version]) == 1)
        #expect(parsed.value("process_start_time_seconds") == 1_700_000_000.5)
        #expect(parsed.value("process_resident_memory_bytes") == 4096)
        #expect(parsed.value("process_open_fds") == 9)
        #expect(parsed.value("portico_extra_total") == 7)
        // The awkward route name survives escaping and parsing intact.
        #expect(parsed.value("portico_request_bytes_total", ["route": awkward]) == 0)
        // Histogram buckets are cumulative.
        let buckets = parsed.samples.filter { $0.name == "portico_request_duration_seconds_bucket" && $0.labels["route"] == "api" }
        #expect(buckets.count == 16)
        #expect(zip(buckets, buckets.dropFirst()).allSatisfy { $0.value <= $1.value })
    }

    @Test func controlPlaneCountersFollowTheirSourcesAndDropGoneSeries() throws {
        let metrics = ControlPlaneMetrics()
        let traffic = Self.traffic(requests: 1, errors: 0, latencyNanos: 1, bytes: 0)
        _ = metrics.exposition(of: Self.snapshot(traffic: traffic, reloads: 2))
        let text = metrics.exposition(of: Self.snapshot(traffic: traffic, reloads: 5, servers: []))
        let parsed = try ParsedExposition(text)
        #expect(parsed.value("portico_config_reloads_total", ["result": "success"]) == 5)
        #expect(parsed.samples.allSatisfy { $0.labels["server"] == nil })
    }

    @Test func historySamplesAreDeltasBetweenSnapshots() throws {
        let history = StatsHistory(capacity: 3)
        #expect(history.json() == #"{"interval_seconds":1,"samples":[],"totals":{"requests":0,"errors_5xx":0}}"#)
        history.record(Self.snapshot(traffic: Self.traffic(requests: 10, errors: 0, latencyNanos: 8_000_000, bytes: 100)), at: 100)
        #expect(history.samples.isEmpty)
        // 20 more requests in 2 s, 5 of them 5xx, all in (5 ms, 10 ms].
        history.record(Self.snapshot(traffic: Self.traffic(requests: 30, errors: 5, latencyNanos: 8_000_000, bytes: 4100)), at: 102)
        let sample = try #require(history.samples.first)
        #expect(sample.unixMilliseconds == 102_000)
        #expect(sample.requestsPerSecond == 10)
        #expect(sample.errorRate == 0.25)
        #expect(abs(sample.p50Milliseconds! - 7.5) < 1e-9)
        #expect(sample.openConnections == 2)
        #expect(sample.inFlight == 1)
        #expect(sample.bytesOutPerSecond == 2000)
        // An idle interval: zero rate, no percentiles.
        history.record(Self.snapshot(traffic: Self.traffic(requests: 30, errors: 5, latencyNanos: 8_000_000, bytes: 4100)), at: 103)
        let json = history.json()
        #expect(json.hasPrefix(#"{"interval_seconds":1,"samples":[{"t":102000,"rps":10,"error_rate":0.25,"p50_ms":7.5,"#))
        #expect(json.contains(#"{"t":103000,"rps":0,"error_rate":0,"p50_ms":null,"p90_ms":null,"p99_ms":null,"open_connections":2,"in_flight":1,"bytes_out_per_second":0}"#))
        #expect(json.hasSuffix(#""totals":{"requests":30,"errors_5xx":5}}"#))
        let decoded = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect((decoded?["samples"] as? [Any])?.count == 2)
        // The ring keeps the newest `capacity` samples, oldest first.
        for second in 104...107 {
            history.record(Self.snapshot(traffic: Self.traffic(requests: 30 + second, errors: 5, latencyNanos: 1, bytes: 0)), at: Double(second))
        }
        #expect(history.samples.map(\.unixMilliseconds) == [105_000, 106_000, 107_000])
    }

    @Test func processFiguresComeFromProc() {
        let stats = ProcessStats.current()
        #expect(stats.residentMemoryBytes > 0)
        #expect(stats.openFileDescriptors > 0)
        #expect(stats.startTimeSeconds > 1_500_000_000)
        #expect(stats.startTimeSeconds <= Date().timeIntervalSince1970 + 1)
    }
}
