import PorticoCore
import PorticoProxy
import PorticoServer
import PorticoTesting
import Testing

/// The admin listener over real sockets: probes, authentication, the JSON endpoints,
/// and drain/disable changing where live traffic goes.
@Suite("Admin API")
struct AdminAPITests {
    static let token = "t0ken-for-tests"

    @Test func probesAnswerWithoutAToken() async throws {
        let fixture = try await AdminFixture.start(token: Self.token)
        defer { Task { await fixture.stop() } }
        let health = try await fixture.get("/healthz")
        #expect(health.status == 200)
        #expect(health.bodyString == "ok\n")
        #expect(try await fixture.get("/readyz").status == 200)
        fixture.backend.ready.set(false)
        #expect(try await fixture.get("/readyz").status == 503)
        #expect(try await fixture.request("HEAD", "/healthz").status == 200)
    }

    @Test func everythingElseNeedsTheBearerToken() async throws {
        let fixture = try await AdminFixture.start(token: Self.token)
        defer { Task { await fixture.stop() } }
        for path in ["/api/upstreams", "/api/config", "/api/stats", "/api/reloads", "/metrics"] {
            let missing = try await fixture.get(path)
            #expect(missing.status == 401, "\(path)")
            #expect(missing.header("WWW-Authenticate") == "Bearer realm=\"portico-admin\"")
            #expect(missing.header("Content-Type") == "application/json")
            #expect(missing.bodyString.contains("\"error\""))
            let wrong = try await fixture.get(path, token: "guess")
            #expect(wrong.status == 401)
            #expect(wrong.header("WWW-Authenticate")?.contains("invalid_token") == true)
            #expect(try await fixture.get(path, token: Self.token).status == 200, "\(path)")
        }
        let action = try await fixture.request("POST", "/api/upstreams/origin/servers/\(fixture.serverAddress(0))/drain")
        #expect(action.status == 401)
        #expect(fixture.backend.upstreamStatus().allSatisfy { $0.adminState == .enabled })
        // The page shell carries no data and authenticates its own API calls.
        let page = try await fixture.get("/")
        #expect(page.status == 200)
    }

    @Test func statusPageIsSelfContained() async throws {
        let fixture = try await AdminFixture.start()
        defer { Task { await fixture.stop() } }
        let page = try await fixture.get("/")
        #expect(page.status == 200)
        #expect(page.header("Content-Type") == "text/html; charset=utf-8")
        #expect(page.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
        let html = page.bodyString
        for metric in ["rps", "error_rate", "p50_ms", "p90_ms", "p99_ms", "open_connections", "in_flight", "total_requests"] {
            #expect(html.contains("data-metric=\"\(metric)\""), "\(metric)")
        }
        for endpoint in ["/api/stats", "/api/upstreams", "/api/reloads"] {
            #expect(html.contains("\"\(endpoint)\""))
        }
        // No external assets: nothing is loaded from another origin.
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("src=\""))
    }

    @Test func metricsAndStatsComeFromTheBackendVerbatim() async throws {
        let fixture = try await AdminFixture.start()
        defer { Task { await fixture.stop() } }
        let metrics = try await fixture.get("/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(metrics.bodyString == TestAdminBackend.exposition)
        let stats = try await fixture.get("/api/stats")
        #expect(stats.header("Content-Type") == "application/json")
        #expect(stats.bodyString == TestAdminBackend.stats)
    }

    @Test func unknownPathsAndWrongMethods() async throws {
        let fixture = try await AdminFixture.start()
        defer { Task { await fixture.stop() } }
        let missing = try await fixture.get("/api/nothing")
        #expect(missing.status == 404)
        #expect(missing.bodyString.contains("\"error\""))
        let wrongMethod = try await fixture.request("POST", "/api/upstreams", body: [])
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("Allow") == "GET, HEAD")
        let getReload = try await fixture.get("/api/reload")
        #expect(getReload.status == 405)
        #expect(getReload.header("Allow") == "POST")
    }

    @Test func upstreamsListEveryServerWithItsState() async throws {
        let fixture = try await AdminFixture.start()
        defer { Task { await fixture.stop() } }
        let response = try await fixture.get("/api/upstreams")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        let body = response.bodyString
        #expect(body.hasPrefix(#"{"groups":[{"name":"origin","balance":"round_robin","servers":[{"address":"\#(fixture.serverAddress(0))","healthy":true,"ejected":false,"admin_state":"enabled","in_flight":0,"weight":1,"backup":false,"failures":0}"#), "\(body)")
        #expect(body.contains(fixture.serverAddress(1)))
    }

    @Test func drainDisableAndEnableAnswerWithTheNewState() async throws {
        let fixture = try await AdminFixture.start()
        defer { Task { await fixture.stop() } }
        let server = fixture.serverAddress(1)
        for (action, state) in [("drain", "draining"), ("undrain", "enabled"), ("disable", "disabled"), ("enable", "enabled")] {
            let response = try await fixture.request("POST", "/api/upstreams/origin/servers/\(server)/\(action)")
            #expect(response.status == 200, "\(action): \(response.bodyString)")
            #expect(response.bodyString.contains(#""group":"origin","server":{"address":"\#(server)""#))
            #expect(response.bodyString.contains(#""admin_state":"\#(state)""#), "\(action)")
            #expect(fixture.backend.upstreamStatus().first { $0.server == server }?.adminState.rawValue == state)
        }
        // Percent-encoded `:` works too.
        let encoded = server.replacing(":", with: "%3A")
        let drained = try await fixture.request("POST", "/api/upstreams/origin/servers/\(encoded)/drain")
        #expect(drained.status == 200)
        #expect(fixture.backend.upstreamStatus().first { $0.server == server }?.adminState == .draining)

        #expect(try await fixture.request("POST", "/api/upstreams/nope/servers/\(server)/drain").status == 404)
        let unknownServer = try await fixture.request("POST", "/api/upstreams/origin/servers/127.0.0.1:1/drain")
        #expect(unknownServer.status == 404)
        #expect(unknownServer.bodyString.contains("no server"))
        #expect(try await fixture.request("POST", "/api/upstreams/origin/servers/\(server)/explode").status == 404)
    }

    @Test func disabledServerStopsReceivingTrafficAndComesBackOnEnable() async throws {
        let fixture = try await AdminFixture.start(origins: ["a", "b", "c"])
        defer { Task { await fixture.stop() } }
        let before = try await runLoad(port: fixture.proxy.port, clients: 2, requestsPerClient: 15)
        #expect(before.failures == 0)
        #expect(Set(before.byBody.keys) == ["a", "b", "c"])

        let disable = try await fixture.request("POST", "/api/upstreams/origin/servers/\(fixture.serverAddress(1))/disable")
        #expect(disable.status == 200)
        let during = try await runLoad(port: fixture.proxy.port, clients: 2, requestsPerClient: 30)
        #expect(during.failures == 0, "\(during.failureSamples)")
        #expect(during.byBody["b"] == nil, "\(during.byBody)")
        #expect(during.byBody["a", default: 0] > 0 && during.byBody["c", default: 0] > 0)

        let enable = try await fixture.request("POST", "/api/upstreams/origin/servers/\(fixture.serverAddress(1))/enable")
        #expect(enable.status == 200)
        let after = try await runLoad(port: fixture.proxy.port, clients: 2, requestsPerClient: 15)
        #expect(after.failures == 0)
        #expect(after.byBody["b", default: 0] > 0, "\(after.byBody)")
    }

    @Test func drainedServerKeepsStickyClientsOnly() async throws {
        let fixture = try await AdminFixture.start(origins: ["a", "b"]) { config in
            config.upstreams[0].balance = .sticky
        }
        defer { Task { await fixture.stop() } }
        // Find a cookie that pins to "b".
        var cookie: String?
        for _ in 0..<10 where cookie == nil {
            let response = try await HTTPTestClient.get(port: fixture.proxy.port)
            if response.bodyString == "b", let setCookie = response.header("Set-Cookie") {
                cookie = String(setCookie.prefix { $0 != ";" })
            }
        }
        let pin = try #require(cookie)
        #expect(try await fixture.request("POST", "/api/upstreams/origin/servers/\(fixture.serverAddress(1))/drain").status == 200)
        for _ in 0..<5 {
            #expect(try await HTTPTestClient.get(port: fixture.proxy.port, headers: [("Cookie", pin)]).bodyString == "b")
            #expect(try await HTTPTestClient.get(port: fixture.proxy.port).bodyString == "a")
        }
        #expect(try await fixture.request("POST", "/api/upstreams/origin/servers/\(fixture.serverAddress(1))/disable").status == 200)
        #expect(try await HTTPTestClient.get(port: fixture.proxy.port, headers: [("Cookie", pin)]).bodyString == "a")
    }

    @Test func reloadReportsSuccessAndRefusal() async throws {
        let fixture = try await AdminFixture.start()
        defer { Task { await fixture.stop() } }
        let applied = try await fixture.request("POST", "/api/reload")
        #expect(applied.status == 200)
        #expect(applied.bodyString.contains(#""trigger":"admin","succeeded":true"#), "\(applied.bodyString)")
        fixture.backend.reloadSucceeds.set(false)
        let refused = try await fixture.request("POST", "/api/reload")
        #expect(refused.status == 422)
        #expect(refused.bodyString.hasPrefix(#"{"error":"configuration refused (1 error)""#), "\(refused.bodyString)")
        #expect(refused.bodyString.contains(#""diagnostics":["portico.yaml:3:5: routes[0].upstream: unknown upstream \"nope\""]"#))
        let log = try await fixture.get("/api/reloads")
        #expect(log.status == 200)
        #expect(log.bodyString.hasPrefix(#"{"succeeded":1,"failed":1,"events":[{"time":1700000001,"trigger":"admin","succeeded":false"#), "\(log.bodyString)")
    }

    @Test func configIsServedWithTheTokenRedacted() async throws {
        let fixture = try await AdminFixture.start(token: Self.token) { config in
            config.admin = AdminConfig(address: HostPort(host: "127.0.0.1", port: 0), token: Self.token)
        }
        defer { Task { await fixture.stop() } }
        let response = try await fixture.get("/api/config", token: Self.token)
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.bodyString.contains(#""admin":{"address":"127.0.0.1:0","token":"<redacted>"}"#))
        #expect(!response.bodyString.contains(Self.token))
        #expect(response.bodyString.contains(#""upstreams":[{"name":"origin","balance":"round_robin""#))
    }

    @Test func connectionsAreKeptAliveAndBodiesCapped() async throws {
        let fixture = try await AdminFixture.start()
        defer { Task { await fixture.stop() } }
        let client = HTTPTestClient(port: fixture.adminPort)
        for _ in 0..<3 {
            #expect(try await client.get("/healthz").status == 200)
        }
        #expect(await client.connectionsOpened == 1)
        await client.close()
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: AdminServer.maxRequestBodyBytes + 1)
        let tooLarge = try await fixture.request("POST", "/api/reload", body: big)
        #expect(tooLarge.status == 413)
    }

    @Test func shutdownClosesIdleKeepAliveConnections() async throws {
        let fixture = try await AdminFixture.start()
        let client = try await RawHTTPClient.connect(port: fixture.adminPort)
        let response = try await client.roundTrip("GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n")
        #expect(response.status == 200)
        await fixture.stop()
        // The server closed the idle connection: reading hits end of stream.
        #expect(await client.waitForClose(timeout: .seconds(10)))
        await client.close()
    }
}

extension AdminAPITests {
    @Test func reloadedConfigurationRotatesTheToken() async throws {
        let fixture = try await AdminFixture.start(token: "old-token") { config in
            config.admin = AdminConfig(address: HostPort(host: "127.0.0.1", port: 0), token: "old-token")
        }
        defer { Task { await fixture.stop() } }
        #expect(try await fixture.get("/api/upstreams", token: "old-token").status == 200)
        var next = fixture.proxy.server.currentConfig()
        next.admin?.token = "new-token"
        try await fixture.proxy.server.reload(config: next)
        #expect(try await fixture.get("/api/upstreams", token: "old-token").status == 401)
        #expect(try await fixture.get("/api/upstreams", token: "new-token").status == 200)
    }
}
