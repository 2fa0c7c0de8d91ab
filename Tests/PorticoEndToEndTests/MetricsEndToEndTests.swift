import PorticoCore
import PorticoServer
import PorticoTesting
import Testing

/// `/metrics` content end to end: real requests through a running proxy move the
/// counters and histograms by exactly what was sent, and no label carries a request
/// path or a client address.
@Suite(.timeLimit(.minutes(1))) struct MetricsEndToEndTests {
    static func startProxy(origin: TestOrigin) async throws -> ProxyFixture {
        try await ProxyFixture.start(origins: [origin]) { config in
            config.upstreams.append(
                UpstreamGroupConfig(name: "dead", servers: [UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: 1))])
            )
            config.routes = [
                RouteConfig(name: "api", match: RouteMatch(pathPrefix: "/api"), action: .upstream("origin")),
                RouteConfig(name: "down", match: RouteMatch(pathPrefix: "/down"), action: .upstream("dead")),
                RouteConfig(
                    name: "limited", match: RouteMatch(pathPrefix: "/limited"), action: .upstream("origin"),
                    // 1/min: no token refills during the test, however slow the machine.
                    rateLimit: RateLimitConfig(requestsPerSecond: 1.0 / 60, rateText: "1/m", burst: 1)
                ),
            ]
        }
    }

    @Test func countersMoveAsRequestsFlowAndLabelsStayClean() async throws {
        let origin = try await TestOrigin.start()
        let proxy = try await Self.startProxy(origin: origin)
        let before = try ParsedExposition(await proxy.server.prometheusExposition())
        #expect(before.value("portico_requests_total", ["route": "api", "upstream": "origin", "code_class": "2xx"]) == 0)

        let client = try await proxy.connect()
        var apiBodyBytes = 0
        for _ in 0..<3 {
            let response = try await client.roundTrip(get("/api/secret-path-1?token=abc"))
            #expect(response.status == 200)
            apiBodyBytes += response.body.count
        }
        #expect(try await client.roundTrip(get("/nowhere/secret-path-2")).status == 404)
        let downStatus = try await client.roundTrip(get("/down/secret-path-3")).status
        #expect(downStatus == 502 || downStatus == 503)
        var limitedStatuses: [Int] = []
        for _ in 0..<4 {
            limitedStatuses.append(try await client.roundTrip(get("/limited/secret-path-4")).status)
        }
        let rejected = limitedStatuses.filter { $0 == 429 }.count
        let passed = limitedStatuses.filter { $0 == 200 }.count
        #expect(rejected >= 1 && rejected + passed == 4)

        var after = try ParsedExposition(await proxy.server.prometheusExposition())
        _ = await eventually {
            after = (try? ParsedExposition(await proxy.server.prometheusExposition())) ?? after
            return after.sum("portico_requests_total") == 9
        }
        #expect(after.sum("portico_requests_total") == 9)
        #expect(after.value("portico_requests_total", ["route": "api", "upstream": "origin", "code_class": "2xx"]) == 3)
        #expect(after.value("portico_requests_total", ["route": "", "upstream": "none", "code_class": "4xx"]) == 1)
        #expect(after.value("portico_requests_total", ["route": "down", "upstream": "dead", "code_class": "5xx"]) == 1)
        #expect(after.value("portico_requests_total", ["route": "limited", "upstream": "none", "code_class": "4xx"]) == Double(rejected))
        #expect(after.value("portico_requests_total", ["route": "limited", "upstream": "origin", "code_class": "2xx"]) == Double(passed))
        #expect(after.value("portico_rate_limited_requests_total", ["route": "limited"]) == Double(rejected))
        #expect(after.value("portico_request_duration_seconds_count", ["route": "api"]) == 3)
        #expect(after.value("portico_request_duration_seconds_bucket", ["route": "api", "le": "+Inf"]) == 3)
        #expect(after.value("portico_upstream_duration_seconds_count", ["upstream": "origin"]) == Double(3 + passed))
        #expect(after.value("portico_response_bytes_total", ["route": "api"]) == Double(apiBodyBytes))
        #expect((after.value("portico_request_bytes_total", ["route": "api"]) ?? 0) >= Double(3 * get("/api/secret-path-1?token=abc").utf8.count))
        #expect(after.value("portico_connections_total", ["listener": "test"]) == 1)
        #expect(after.value("portico_open_connections", ["listener": "test"]) == 1)
        #expect(after.value("portico_in_flight_requests", ["listener": "test"]) == 0)
        let originServer = "127.0.0.1:\(origin.port)"
        #expect(after.value("portico_upstream_server_healthy", ["upstream": "origin", "server": originServer]) == 1)
        #expect((after.value("portico_upstream_server_failures_total", ["upstream": "dead", "server": "127.0.0.1:1"]) ?? 0) >= 1)
        #expect(after.value("portico_config_reloads_total", ["result": "success"]) == 0)
        #expect((after.value("process_resident_memory_bytes") ?? 0) > 0)

        // Labels name configuration objects only: no path, query, or client address.
        for sample in after.samples {
            for (name, value) in sample.labels {
                #expect(!value.contains("secret"), "\(sample.name) \(name)=\(value)")
                #expect(!value.contains("token"), "\(sample.name) \(name)=\(value)")
                #expect(value != "127.0.0.1", "\(sample.name) \(name)=\(value)")
                #expect(!["path", "client", "ip", "target"].contains(name))
            }
        }

        await client.close()
        #expect(
            await eventually {
                let parsed = try? ParsedExposition(await proxy.server.prometheusExposition())
                return parsed?.value("portico_open_connections", ["listener": "test"]) == 0
            })
        await proxy.stop()
        try await origin.stop()
    }

    /// A request that starts before a reload and finishes after it is counted under its
    /// route's and group's names, and the counters go on from there (never backwards).
    @Test func countersStayMonotonicAcrossAReloadWithARequestInFlight() async throws {
        let origin = try await TestOrigin.start { request in
            request.uri.hasPrefix("/api/slow") ? .delayHead(.milliseconds(300), then: .ok) : .ok
        }
        var config = PorticoConfig()
        let proxy = try await ProxyFixture.start(origins: [origin]) { base in
            base.routes = [RouteConfig(name: "api", match: RouteMatch(pathPrefix: "/api"), action: .upstream("origin"))]
            config = base
        }
        let slow = try await proxy.connect()
        try await slow.send(get("/api/slow"))
        #expect(await eventually { origin.requests().count == 1 })

        // The route moves to another index and the group is rebuilt.
        config.routes.insert(
            RouteConfig(name: "first", match: RouteMatch(pathPrefix: "/first"), action: .respond(status: 204, body: "", contentType: "text/plain")),
            at: 0
        )
        try await proxy.server.reload(config: config)
        #expect(try await slow.readResponse().status == 200)
        let fast = try await proxy.connect()
        #expect(try await fast.roundTrip(get("/api/fast")).status == 200)

        var parsed = try ParsedExposition(await proxy.server.prometheusExposition())
        _ = await eventually {
            parsed = (try? ParsedExposition(await proxy.server.prometheusExposition())) ?? parsed
            return parsed.value("portico_requests_total", ["route": "api", "code_class": "2xx"]) == 2
        }
        #expect(parsed.value("portico_requests_total", ["route": "api", "upstream": "origin", "code_class": "2xx"]) == 2)
        #expect(parsed.value("portico_request_duration_seconds_count", ["route": "api"]) == 2)
        #expect(parsed.value("portico_upstream_duration_seconds_count", ["upstream": "origin"]) == 2)
        #expect(parsed.value("portico_requests_total", ["route": "first", "upstream": "none", "code_class": "2xx"]) == 0)
        await slow.close()
        await fast.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func samplerRecordsTrafficIntoTheHistory() async throws {
        let origin = try await TestOrigin.start()
        let proxy = try await Self.startProxy(origin: origin)
        let history = StatsHistory(capacity: 100)
        let sampler = Task { await proxy.server.runStatsSampler(into: history, every: .milliseconds(50)) }
        let client = try await proxy.connect()
        let sawTraffic = await eventually(timeout: .seconds(10)) {
            _ = try? await client.roundTrip(get("/api/x"))
            return history.samples.contains { $0.requestsPerSecond > 0 && $0.p50Milliseconds != nil }
        }
        #expect(sawTraffic)
        #expect(history.json().hasPrefix("{\"interval_seconds\":0.05,\"samples\":[{\"t\":"))
        #expect(history.json().contains("\"totals\":{\"requests\":"))
        sampler.cancel()
        await sampler.value
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }
}
