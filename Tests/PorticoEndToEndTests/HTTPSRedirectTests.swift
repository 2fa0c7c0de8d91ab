import PorticoCore
import PorticoServer
import PorticoTesting
import Testing

/// `redirect_https` (listener and route) and HSTS, which only travels over TLS.
@Suite("HTTPS redirect and HSTS", .timeLimit(.minutes(1)))
struct HTTPSRedirectEndToEndTests {
    @Test func listenerAndRouteRedirectsAndHSTSOnlyOverTLS() async throws {
        let files = try TLSTestFiles()
        defer { files.remove() }
        let origin = try await TestOrigin.start()
        let certificate = try files.server("site", names: ["example.test"])
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            var redirecting = ListenerConfig(name: "redirect", address: HostPort(host: "127.0.0.1", port: 0))
            redirecting.redirectHTTPS = .port(8443)
            config.listeners = [
                ListenerConfig(name: "plain", address: HostPort(host: "127.0.0.1", port: 0)),
                redirecting,
                tlsListener([certificate], name: "tls") { $0.hsts = HSTSConfig(maxAge: 600, includeSubdomains: true) },
            ]
            var secure = RouteConfig(name: "secure", match: RouteMatch(pathPrefix: "/secure"), action: .upstream("origin"))
            secure.redirectHTTPS = .defaultPort
            let headers = RouteConfig(
                name: "headers", match: RouteMatch(pathPrefix: "/headers"), action: .upstream("origin"),
                securityHeaders: .defaults
            )
            config.routes = [secure, headers, RouteConfig(name: "default", action: .upstream("origin"))]
        }
        defer { Task { await proxy.stop(); try? await origin.stop() } }
        let ports = proxy.server.listeningPorts

        // Listener level: every request, 301 for GET/HEAD and 308 otherwise, port kept.
        let redirect = try await RawHTTPClient.connect(port: ports[1])
        let redirected = try await redirect.roundTrip(get("/a/b?c=d", host: "example.test:8080"))
        #expect(redirected.status == 301)
        #expect(redirected.header("Location") == "https://example.test:8443/a/b?c=d")
        #expect(redirected.header("Strict-Transport-Security") == nil)
        let post = try await redirect.roundTrip("POST /form HTTP/1.1\r\nHost: example.test\r\nContent-Length: 3\r\n\r\nabc")
        #expect(post.status == 308)
        #expect(post.header("Location") == "https://example.test:8443/form")
        await redirect.close()

        // Route level on a cleartext listener: only the route redirects.
        let plain = try await RawHTTPClient.connect(port: ports[0])
        let secure = try await plain.roundTrip(get("/secure/x?y=1"))
        #expect(secure.status == 301)
        #expect(secure.header("Location") == "https://example.test/secure/x?y=1")
        let open = try await plain.roundTrip(get("/open"))
        #expect(open.status == 200)
        #expect(open.header("Strict-Transport-Security") == nil)
        // security_headers' HSTS is left out over plain HTTP (RFC 6797 §7.2) …
        let headersPlain = try await plain.roundTrip(get("/headers"))
        #expect(headersPlain.header("Strict-Transport-Security") == nil)
        #expect(headersPlain.header("X-Content-Type-Options") == "nosniff")
        await plain.close()
        #expect(origin.requests().map(\.uri) == ["/open", "/headers"])

        // … and sent over TLS, where the route's own value wins over the listener's.
        let tls = try await TLSTestClient.connect(port: ports[2], options: .init(serverName: "example.test"))
        defer { Task { await tls.close() } }
        let secured = try await tls.roundTrip(get("/secure/x"))
        #expect(secured.status == 200)
        #expect(secured.headers(named: "Strict-Transport-Security") == ["max-age=600; includeSubDomains"])
        let withRouteHSTS = try await tls.roundTrip(get("/headers"))
        #expect(withRouteHSTS.headers(named: "Strict-Transport-Security") == [SecurityHeadersConfig.defaultHSTS])
    }

    @Test func aTrustedProxysForwardedHTTPSCountsAsTLS() async throws {
        let origin = try await TestOrigin.start()
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.security.trustedProxies = [ConfigCIDR.parse("127.0.0.0/8")!]
            var route = RouteConfig(name: "site", action: .upstream("origin"), securityHeaders: .defaults)
            route.redirectHTTPS = .defaultPort
            config.routes = [route]
        }
        defer { Task { await proxy.stop(); try? await origin.stop() } }
        let client = try await proxy.connect()
        defer { Task { await client.close() } }
        // TLS terminated in front of Portico: no redirect (no loop), and HSTS is sent.
        let forwarded = try await client.roundTrip(get("/x", extra: "X-Forwarded-Proto: https\r\n"))
        #expect(forwarded.status == 200)
        #expect(forwarded.header("Strict-Transport-Security") == SecurityHeadersConfig.defaultHSTS)
        let plain = try await client.roundTrip(get("/x", extra: "X-Forwarded-Proto: http\r\n"))
        #expect(plain.status == 301)
        #expect(plain.header("Location") == "https://example.test/x")
        #expect(plain.header("Strict-Transport-Security") == nil)
    }
}
