import PorticoCore
import PorticoTesting
import Testing

/// Policies end to end: three real origins, real sockets, the distribution the policy promises.
@Suite(.timeLimit(.minutes(1))) struct LoadBalancingPolicyTests {
    private func proxy(
        _ origins: NamedOrigins,
        servers: [UpstreamServerConfig]? = nil,
        configure: @escaping (inout UpstreamGroupConfig) -> Void = { _ in }
    ) async throws -> ProxyFixture {
        try await ProxyFixture.start(origins: []) { config in
            var group = UpstreamGroupConfig(
                name: "origin",
                servers: servers ?? origins.origins.indices.map { origins.server($0) }
            )
            configure(&group)
            config.upstreams = [group]
        }
    }

    @Test func roundRobinSplitsThreeThousandRequestsEvenly() async throws {
        let origins = try await NamedOrigins.start(["a", "b", "c"])
        let proxy = try await self.proxy(origins)
        let tally = try await runLoad(port: proxy.port, clients: 6, requestsPerClient: 500)
        #expect(tally.failures == 0, "\(tally.failureSamples)")
        // Each worker thread keeps its own cursor, so the split is exact per worker and
        // within a few requests overall.
        for name in origins.names {
            #expect((990...1010).contains(tally.byBody[name, default: 0]), "\(tally.byBody)")
        }
        await proxy.stop()
        await origins.stop()
    }

    @Test func weightedRoundRobinFollowsWeights() async throws {
        let origins = try await NamedOrigins.start(["a", "b", "c"])
        let servers = [origins.server(0, weight: 5), origins.server(1), origins.server(2)]
        let proxy = try await self.proxy(origins, servers: servers) { $0.balance = .weightedRoundRobin }
        // One connection: one worker, so the smooth sequence is exact.
        let tally = try await runLoad(port: proxy.port, clients: 1, requestsPerClient: 700)
        #expect(tally.byBody == ["a": 500, "b": 100, "c": 100])
        await proxy.stop()
        await origins.stop()
    }

    @Test func leastRequestsAvoidsTheSlowServer() async throws {
        let origins = try await NamedOrigins.start(["slow", "fast1", "fast2"]) { name, _ in
            name == "slow" ? .delayHead(.milliseconds(300), then: .text(name)) : .text(name)
        }
        let proxy = try await self.proxy(origins) { $0.balance = .leastRequests }
        let tally = try await runLoad(port: proxy.port, clients: 8, requestsPerClient: 60)
        #expect(tally.failures == 0)
        let slow = tally.byBody["slow", default: 0]
        // Round robin would give it a third (160); least-requests keeps it far below.
        #expect(slow < 80, "\(tally.byBody)")
        await proxy.stop()
        await origins.stop()
    }

    @Test func powerOfTwoChoicesAvoidsTheSlowServer() async throws {
        let origins = try await NamedOrigins.start(["slow", "fast1", "fast2"]) { name, _ in
            name == "slow" ? .delayHead(.milliseconds(300), then: .text(name)) : .text(name)
        }
        let proxy = try await self.proxy(origins) { $0.balance = .powerOfTwoChoices }
        let tally = try await runLoad(port: proxy.port, clients: 8, requestsPerClient: 60)
        #expect(tally.failures == 0)
        #expect(tally.byBody["slow", default: 0] < 110, "\(tally.byBody)")
        await proxy.stop()
        await origins.stop()
    }

    @Test func consistentHashKeepsAKeyOnOneServer() async throws {
        let origins = try await NamedOrigins.start(["a", "b", "c"])
        let proxy = try await self.proxy(origins) {
            $0.balance = .consistentHash
            $0.hashKey = .header("X-User")
        }
        var placement: [String: String] = [:]
        let client = try await proxy.connect()
        for round in 0..<3 {
            for user in 0..<60 {
                let response = try await client.roundTrip(get("/", extra: "X-User: user-\(user)\r\n"))
                #expect(response.status == 200)
                if round == 0 {
                    placement["user-\(user)"] = response.bodyString
                } else {
                    #expect(placement["user-\(user)"] == response.bodyString, "user-\(user) moved")
                }
            }
        }
        // 60 keys spread over all three servers.
        #expect(Set(placement.values).count == 3)
        await client.close()
        await proxy.stop()
        await origins.stop()
    }

    @Test func stickySessionKeepsAClientOnOneServerAndMovesItWhenThatServerDies() async throws {
        let origins = try await NamedOrigins.start(["a", "b", "c"])
        let proxy = try await self.proxy(origins) { $0.balance = .sticky }
        let first = try await HTTPTestClient.get(port: proxy.port, path: "/")
        let setCookie = try #require(first.header("Set-Cookie"))
        #expect(setCookie.hasPrefix("portico_server="))
        #expect(setCookie.contains("HttpOnly"))
        let cookie = String(setCookie.prefix { $0 != ";" })
        let home = first.bodyString
        // New connections each time: the cookie, not the connection, keeps it there.
        for _ in 0..<12 {
            let response = try await HTTPTestClient.get(port: proxy.port, path: "/", headers: [("Cookie", "theme=dark; " + cookie)])
            #expect(response.bodyString == home)
            #expect(response.header("Set-Cookie") == nil)
        }
        // Its server goes away: another one answers and issues a new cookie.
        let homeIndex = try #require(origins.names.firstIndex(of: home))
        try await origins.origins[homeIndex].stop()
        let moved = try await HTTPTestClient.get(port: proxy.port, path: "/", headers: [("Cookie", cookie)])
        #expect(moved.status == 200)
        #expect(moved.bodyString != home)
        let newCookie = try #require(moved.header("Set-Cookie"))
        #expect(!newCookie.hasPrefix(cookie + ";"))
        await proxy.stop()
        await origins.stop()
    }

    @Test func backupServerOnlyServesWhenPrimariesAreDown() async throws {
        let origins = try await NamedOrigins.start(["primary", "backup"])
        let servers = [origins.server(0), origins.server(1, backup: true)]
        let proxy = try await self.proxy(origins, servers: servers)
        let tally = try await runLoad(port: proxy.port, clients: 2, requestsPerClient: 20)
        #expect(tally.byBody == ["primary": 40])
        try await origins.origins[0].stop()
        let after = try await runLoad(port: proxy.port, clients: 2, requestsPerClient: 20)
        #expect(after.byBody == ["backup": 40], "\(after.failureSamples)")
        await proxy.stop()
        await origins.stop()
    }

    @Test func fullServersQueueThenAnswer503() async throws {
        let origins = try await NamedOrigins.start(["a"]) { name, _ in .delayHead(.seconds(2), then: .text(name)) }
        let origin = origins.origins[0]
        let proxy = try await self.proxy(origins, servers: [origins.server(0, maxConnections: 1)]) {
            $0.queue = QueueConfig(size: 1, timeout: .seconds(10))
        }
        async let first = HTTPTestClient.get(port: proxy.port, path: "/1")
        #expect(await eventually { origin.requestCount == 1 })
        async let second = HTTPTestClient.get(port: proxy.port, path: "/2")  // waits in the queue
        // Both requests have begun (the second can only be waiting in the queue: the
        // server is full) before the third is sent.
        #expect(await eventually {
            await proxy.server.metricsSnapshot().traffic.listeners.values.reduce(0) { $0 + $1.inFlight } == 2
        })
        #expect(origin.requestCount == 1)  // not sent: the server is full
        let started = ContinuousClock.now
        let third = try await HTTPTestClient.get(port: proxy.port, path: "/3")  // queue full
        #expect(third.status == 503)
        #expect(third.bodyString.contains("busy"))
        #expect(ContinuousClock.now - started < .seconds(5))  // at once, not after the 10 s queue wait
        let (one, two) = try await (first, second)
        #expect(one.status == 200)
        #expect(two.status == 200)
        #expect(origin.requests().map(\.uri) == ["/1", "/2"])
        await proxy.stop()
        await origins.stop()
    }

    @Test func queuedRequestTimesOutWith503() async throws {
        let origins = try await NamedOrigins.start(["a"]) { name, _ in .delayHead(.seconds(2), then: .text(name)) }
        let proxy = try await self.proxy(origins, servers: [origins.server(0, maxConnections: 1)]) {
            $0.queue = QueueConfig(size: 10, timeout: .milliseconds(300))
        }
        async let first = HTTPTestClient.get(port: proxy.port, path: "/1")
        #expect(await eventually { origins.origins[0].requestCount == 1 })
        let second = try await HTTPTestClient.get(port: proxy.port, path: "/2")
        #expect(second.status == 503)
        #expect(second.bodyString.contains("stayed busy"))
        #expect(try await first.status == 200)
        await proxy.stop()
        await origins.stop()
    }
}
