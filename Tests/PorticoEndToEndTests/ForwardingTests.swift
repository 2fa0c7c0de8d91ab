import PorticoCore
import PorticoTesting
import Testing

/// Forwarding basics on real sockets: keep-alive, pipelining, header handling.
@Suite(.timeLimit(.minutes(1))) struct ForwardingTests {
    @Test func keepAliveReusesOneUpstreamConnection() async throws {
        let origin = try await TestOrigin.start()
        let proxy = try await ProxyFixture.start(origins: [origin]) { $0.workers = 1 }
        let client = try await proxy.connect()
        for _ in 0..<5 {
            let response = try await client.roundTrip(get("/"))
            #expect(response.status == 200)
            #expect(response.bodyString == "ok")
        }
        #expect(origin.requestCount == 5)
        #expect(origin.connectionCount == 1)
        #expect(Set(origin.requests().map(\.connectionID)).count == 1)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let origin = try await TestOrigin.start { request in
            request.uri == "/slow" ? .delayHead(.milliseconds(200), then: .text("slow")) : .text(request.uri)
        }
        let proxy = try await ProxyFixture.start(origins: [origin])
        let client = try await proxy.connect()
        try await client.send(get("/slow") + get("/a") + get("/b"))
        let bodies = [
            try await client.readResponse().bodyString,
            try await client.readResponse().bodyString,
            try await client.readResponse().bodyString,
        ]
        #expect(bodies == ["slow", "/a", "/b"])
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func hopByHopHeadersNeverCross() async throws {
        let origin = try await TestOrigin.start { _ in
            .respond(
                status: 200,
                headers: [
                    ("Connection", "X-Upstream-Hop"), ("X-Upstream-Hop", "1"), ("Keep-Alive", "timeout=5"),
                    ("Content-Length", "2"), ("X-End-To-End", "yes"),
                ],
                body: Array("ok".utf8)
            )
        }
        let proxy = try await ProxyFixture.start(origins: [origin])
        let client = try await proxy.connect()
        let response = try await client.roundTrip(
            get(
                "/",
                extra: "Connection: keep-alive, X-Client-Hop\r\nX-Client-Hop: 1\r\nKeep-Alive: timeout=5\r\n"
                    + "TE: trailers\r\nProxy-Connection: keep-alive\r\nUpgrade-Insecure-Requests: 1\r\nX-Keep: 1\r\n"
            )
        )
        #expect(response.status == 200)
        #expect(response.header("X-Upstream-Hop") == nil)
        #expect(response.header("Keep-Alive") == nil)
        #expect(response.header("X-End-To-End") == "yes")
        let seen = try #require(origin.requests().first)
        for name in ["X-Client-Hop", "Keep-Alive", "TE", "Proxy-Connection"] {
            #expect(seen.header(name) == nil, "\(name) crossed the proxy")
        }
        #expect(seen.header("Connection") == nil)
        #expect(seen.header("X-Keep") == "1")
        #expect(seen.header("Upgrade-Insecure-Requests") == "1")
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    /// Without `trusted_proxies`, a client's own X-Forwarded-For is replaced, never
    /// passed on; from a trusted proxy it is extended.
    @Test(arguments: [false, true]) func forwardedHeadersAreSet(trustLoopback: Bool) async throws {
        let origin = try await TestOrigin.start()
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            if trustLoopback {
                config.security.trustedProxies = [ConfigCIDR.parse("127.0.0.0/8")!]
            }
        }
        let client = try await proxy.connect()
        let response = try await client.roundTrip(
            get("/x", host: "shop.example:8443", extra: "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n")
        )
        #expect(response.status == 200)
        #expect(response.header("Via") == "1.1 portico")
        let seen = try #require(origin.requests().first)
        #expect(seen.header("X-Forwarded-For") == (trustLoopback ? "203.0.113.9, 127.0.0.1" : "127.0.0.1"))
        #expect(seen.header("X-Forwarded-Proto") == "http")
        #expect(seen.header("X-Forwarded-Host") == "shop.example:8443")
        #expect(seen.header("Via") == "1.1 portico")
        #expect(seen.header("Host") == "shop.example:8443")
        #expect(seen.version == "HTTP/1.1")
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func http10ClientGetsVia10AndCloseDelimitedChunkedBody() async throws {
        let origin = try await TestOrigin.start { _ in .streamBytes(count: 10_000, chunkSize: 1000, chunked: true) }
        let proxy = try await ProxyFixture.start(origins: [origin])
        let client = try await proxy.connect()
        try await client.send("GET / HTTP/1.0\r\nHost: a\r\n\r\n")
        let raw = try await client.readUntilClose()
        let text = String(decoding: raw, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200"))
        #expect(!text.lowercased().contains("transfer-encoding"))
        let separator = Array("\r\n\r\n".utf8)
        let headEnd = (0...(raw.count - 4)).first { Array(raw[$0..<$0 + 4]) == separator } ?? raw.count
        #expect(raw.count - (headEnd + 4) == 10_000)
        #expect(origin.requests().first?.header("Via") == "1.0 portico")
        await proxy.stop()
        try await origin.stop()
    }

    @Test func chunkedUploadWithTrailersIsForwarded() async throws {
        let origin = try await TestOrigin.start { _ in .echo }
        let proxy = try await ProxyFixture.start(origins: [origin])
        let client = try await proxy.connect()
        let response = try await client.roundTrip(
            "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"
                + "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n"
        )
        #expect(response.status == 200)
        let seen = try #require(origin.requests().first)
        #expect(seen.bodyString == "hello world")
        #expect(seen.trailers.first(named: "X-Sum") == "42")
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func expectContinueIsAnsweredAndNotForwarded() async throws {
        let origin = try await TestOrigin.start { _ in .echo }
        let proxy = try await ProxyFixture.start(origins: [origin])
        let client = try await proxy.connect()
        try await client.send("POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        let interim = try await client.readResponse(returnInformational: true)
        #expect(interim.status == 100)
        try await client.send("data")
        let response = try await client.readResponse()
        #expect(response.status == 200)
        let seen = try #require(origin.requests().first)
        #expect(seen.bodyString == "data")
        #expect(seen.header("Expect") == nil)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func headAnd204And304HaveNoBody() async throws {
        let origin = try await TestOrigin.start { request in
            switch request.uri {
            case "/204": return .respond(status: 204, headers: [], body: [])
            case "/304": return .respond(status: 304, headers: [("ETag", "\"x\"")], body: [])
            default: return .text("0123456789")
            }
        }
        let proxy = try await ProxyFixture.start(origins: [origin])
        let client = try await proxy.connect()
        let head = try await client.roundTrip("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", head: true)
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "10")
        #expect(head.body.isEmpty)
        #expect(try await client.roundTrip(get("/204")).status == 204)
        let notModified = try await client.roundTrip(get("/304"))
        #expect(notModified.status == 304)
        #expect(notModified.body.isEmpty)
        // The connection is still in sync after all three.
        #expect(try await client.roundTrip(get("/")).bodyString == "0123456789")
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func earlyUpstreamAnswerKeepsBothConnectionsAlive() async throws {
        // The origin answers at the head and then reads the body (as nginx does for
        // `return 200`). Portico keeps forwarding the body, so nothing is closed.
        let origin = try await TestOrigin.start()
        let proxy = try await ProxyFixture.start(origins: [origin]) { $0.workers = 1 }
        let client = try await proxy.connect()
        let body = String(repeating: "x", count: 256 * 1024)
        for _ in 0..<3 {
            try await client.send("POST /early HTTP/1.1\r\nHost: a\r\nX-Test-Respond-Early: 1\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
            try await client.send(body)
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyString == "early")
            #expect(!response.closesConnection)
        }
        #expect(try await client.roundTrip(get("/after")).status == 200)
        #expect(origin.connectionCount == 1)
        #expect(origin.requests().prefix(3).allSatisfy { $0.bodyByteCount == body.utf8.count })
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func stalePooledConnectionIsRetriedOnAFreshOne() async throws {
        // The origin answers the first request of each connection and silently drops
        // the connection on the second, like a server whose keep-alive timer fired.
        let origin = try await TestOrigin.start { request in
            request.indexOnConnection == 0 ? .text("fresh") : .closeBeforeResponse
        }
        let proxy = try await ProxyFixture.start(origins: [origin]) { $0.workers = 1 }
        let client = try await proxy.connect()
        #expect(try await client.roundTrip(get("/1")).bodyString == "fresh")
        #expect(try await client.roundTrip(get("/2")).bodyString == "fresh")
        #expect(origin.connectionCount == 2)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func roundRobinSpreadsAndConnectFailureFailsOver() async throws {
        let a = try await TestOrigin.start { _ in .text("a") }
        let b = try await TestOrigin.start { _ in .text("b") }
        let dead = HostPort(host: "127.0.0.1", port: try await unusedPort())
        let proxy = try await ProxyFixture.start(origins: [a, b], extraServers: [dead])
        let client = try await proxy.connect()
        var seen: [String: Int] = [:]
        for _ in 0..<9 {
            let response = try await client.roundTrip(get("/"))
            #expect(response.status == 200)
            seen[response.bodyString, default: 0] += 1
        }
        #expect(seen["a", default: 0] >= 3)
        #expect(seen["b", default: 0] >= 3)
        await client.close()
        await proxy.stop()
        try await a.stop()
        try await b.stop()
    }
}
