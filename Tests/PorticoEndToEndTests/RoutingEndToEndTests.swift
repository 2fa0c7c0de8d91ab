import PorticoCore
import PorticoTesting
import Testing

/// Routes decide per request, first match wins; actions and rewrites reach the origin.
@Suite(.timeLimit(.minutes(1))) struct RoutingEndToEndTests {
    @Test func routesByHostPathMethodAndHeaderWithRewrites() async throws {
        let api = try await TestOrigin.start { request in .text("api \(request.uri)") }
        let web = try await TestOrigin.start { request in .text("web \(request.uri)") }
        let proxy = try await ProxyFixture.start(origins: []) { config in
            config.upstreams = [
                UpstreamGroupConfig(name: "api", servers: [UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: api.port))]),
                UpstreamGroupConfig(name: "web", servers: [UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: web.port))]),
            ]
            config.routes = [
                RouteConfig(
                    name: "canary",
                    match: RouteMatch(headers: [HeaderMatch(name: "X-Canary", value: "1")]),
                    action: .respond(status: 200, body: "canary", contentType: "text/plain")
                ),
                RouteConfig(
                    name: "api",
                    match: RouteMatch(hosts: [.wildcard(suffix: ".example.com")], pathPrefix: "/api", methods: ["GET", "POST"]),
                    action: .upstream("api"),
                    stripPrefix: "/api",
                    preserveHost: false,
                    requestHeaders: HeaderRules(
                        set: [.init(name: "X-Route", value: "api")],
                        add: [.init(name: "X-Added", value: "1")],
                        remove: ["X-Secret"]
                    ),
                    responseHeaders: HeaderRules(set: [.init(name: "X-Served-By", value: "portico")], remove: ["Content-Type"])
                ),
                RouteConfig(name: "old", match: RouteMatch(path: "/old"), action: .redirect(status: 308, location: "https://example.com/new")),
                RouteConfig(name: "web", match: RouteMatch(hosts: [.exact("www.example.com")]), action: .upstream("web")),
            ]
        }
        let client = try await proxy.connect()

        let apiResponse = try await client.roundTrip(get("/api/users?id=7", host: "shop.example.com", extra: "X-Secret: s\r\n"))
        #expect(apiResponse.bodyString == "api /users?id=7")
        #expect(apiResponse.header("X-Served-By") == "portico")
        #expect(apiResponse.header("Content-Type") == nil)
        let seen = try #require(api.requests().last)
        #expect(seen.header("Host") == "127.0.0.1:\(api.port)")
        #expect(seen.header("X-Route") == "api")
        #expect(seen.header("X-Added") == "1")
        #expect(seen.header("X-Secret") == nil)
        #expect(seen.header("X-Forwarded-Host") == "shop.example.com")

        #expect(try await client.roundTrip(get("/api", host: "a.example.com")).bodyString == "api /")
        // Method not in the list, wildcard does not cover the apex: falls through to 404.
        #expect(try await client.roundTrip("DELETE /api/x HTTP/1.1\r\nHost: a.example.com\r\n\r\n").status == 404)
        #expect(try await client.roundTrip(get("/api/x", host: "example.com")).status == 404)
        #expect(try await client.roundTrip(get("/apix", host: "a.example.com")).status == 404)

        let webResponse = try await client.roundTrip(get("/page", host: "WWW.Example.com:8080"))
        #expect(webResponse.bodyString == "web /page")

        let redirect = try await client.roundTrip(get("/old"))
        #expect(redirect.status == 308)
        #expect(redirect.header("Location") == "https://example.com/new")

        #expect(try await client.roundTrip(get("/api/x", host: "a.example.com", extra: "X-Canary: 1\r\n")).bodyString == "canary")
        await client.close()
        await proxy.stop()
        try await api.stop()
        try await web.stop()
    }

    @Test func absoluteFormTargetRoutesOnItsAuthority() async throws {
        let origin = try await TestOrigin.start { request in .text(request.uri) }
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.routes = [RouteConfig(name: "r", match: RouteMatch(hosts: [.exact("real.example")]), action: .upstream("origin"))]
        }
        let client = try await proxy.connect()
        let response = try await client.roundTrip("GET http://real.example/p?q HTTP/1.1\r\nHost: other.example\r\n\r\n")
        #expect(response.status == 200)
        #expect(response.bodyString == "/p?q")
        #expect(origin.requests().first?.header("Host") == "real.example")
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }
}
