import NIOSSL
import PorticoCore
import PorticoServer
import PorticoTesting
import Testing

/// TLS termination on listeners: SNI certificate choice, protocol versions, ALPN, and the
/// request seen by the origin.
@Suite("TLS termination", .timeLimit(.minutes(1)))
struct TLSTerminationTests {
    @Test func sniPicksTheCertificateThatNamesTheHost() async throws {
        let files = try TLSTestFiles()
        defer { files.remove() }
        let origin = try await TestOrigin.start()
        let certificates = [
            try files.server("default", names: ["default.test"]),
            try files.server("a", names: ["a.test"]),
            try files.server("b", names: ["b.test", "B2.test"]),
            try files.server("wild", names: ["*.wild.test"]),
        ]
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.listeners = [tlsListener(certificates)]
        }
        defer { Task { await proxy.stop(); try? await origin.stop() } }

        func served(_ serverName: String?) async throws -> [String]? {
            let client = try await TLSTestClient.connect(port: proxy.port, options: .init(serverName: serverName))
            defer { Task { await client.close() } }
            return client.peerDNSNames
        }
        #expect(try await served("a.test") == ["a.test"])
        #expect(try await served("B.TEST") == ["b.test", "B2.test"])
        #expect(try await served("b2.test") == ["b.test", "B2.test"])
        #expect(try await served("x.wild.test") == ["*.wild.test"])
        // A wildcard covers one label only (RFC 6125 §6.4.3): the default is served.
        #expect(try await served("a.b.wild.test") == ["default.test"])
        #expect(try await served("unknown.test") == ["default.test"])
        #expect(try await served(nil) == ["default.test"])

        let client = try await TLSTestClient.connect(port: proxy.port, options: .init(serverName: "a.test"))
        defer { Task { await client.close() } }
        #expect(client.negotiatedProtocol == "http/1.1")
        let first = try await client.roundTrip("GET /one HTTP/1.1\r\nHost: a.test\r\n\r\n")
        let second = try await client.roundTrip("GET /two HTTP/1.1\r\nHost: a.test\r\n\r\n")
        #expect(first.status == 200 && second.status == 200)
        let requests = origin.requests()
        #expect(requests.map(\.uri) == ["/one", "/two"])
        #expect(requests.first?.header("X-Forwarded-Proto") == "https")
    }

    @Test func theDefaultFlagChoosesTheFallbackCertificate() async throws {
        let files = try TLSTestFiles()
        defer { files.remove() }
        let origin = try await TestOrigin.start()
        var fallback = try files.server("fallback", names: ["fallback.test"])
        fallback.isDefault = true
        let certificates = [try files.server("a", names: ["a.test"]), fallback]
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.listeners = [tlsListener(certificates)]
        }
        defer { Task { await proxy.stop(); try? await origin.stop() } }
        let client = try await TLSTestClient.connect(port: proxy.port)
        defer { Task { await client.close() } }
        #expect(client.peerDNSNames == ["fallback.test"])
    }

    @Test func tlsBelow12IsRefusedAndMinVersion13RefusesA12Client() async throws {
        let files = try TLSTestFiles()
        defer { files.remove() }
        let origin = try await TestOrigin.start()
        let certificate = try files.server("site", names: ["site.test"])
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.listeners = [
                tlsListener([certificate]),
                tlsListener([certificate], name: "modern") { $0.minimumVersion = .tls13 },
            ]
        }
        defer { Task { await proxy.stop(); try? await origin.stop() } }
        let modernPort = proxy.server.listeningPorts[1]

        await #expect(throws: (any Error).self) {
            try await TLSTestClient.connect(port: proxy.port, options: .init(serverName: "site.test", maximumVersion: .tlsv11))
        }
        let tls12 = try await TLSTestClient.connect(port: proxy.port, options: .init(serverName: "site.test", maximumVersion: .tlsv12))
        #expect(tls12.tlsVersion == .tlsv12)
        #expect(try await tls12.roundTrip("GET / HTTP/1.1\r\nHost: site.test\r\n\r\n").status == 200)
        await tls12.close()

        await #expect(throws: (any Error).self) {
            try await TLSTestClient.connect(port: modernPort, options: .init(serverName: "site.test", maximumVersion: .tlsv12))
        }
        let tls13 = try await TLSTestClient.connect(port: modernPort, options: .init(serverName: "site.test"))
        #expect(tls13.tlsVersion == .tlsv13)
        #expect(try await tls13.roundTrip("GET / HTTP/1.1\r\nHost: site.test\r\n\r\n").status == 200)
        await tls13.close()

        let failures = await eventually { proxy.server.tlsHandshakeFailures.map(\.count).reduce(0, +) >= 2 }
        #expect(failures)
        let exposition = await proxy.server.prometheusExposition()
        #expect(exposition.contains("# TYPE portico_tls_handshake_failures_total counter"))
        #expect(exposition.contains("portico_tls_handshake_failures_total{listener=\"modern\"} 1"))
    }

    @Test func theAdminConfigShowsTLSFilePathsButNoKeyMaterial() throws {
        let files = try TLSTestFiles()
        defer { files.remove() }
        let certificate = try files.server("site", names: ["site.test"])
        let ca = try files.authorityFile()
        var config = PorticoConfig()
        config.listeners = [
            tlsListener([certificate]) {
                $0.clientAuth = ListenerTLSConfig.ClientAuth(mode: .request, caPath: ca, subjectHeader: "X-Client-Subject")
                $0.hsts = HSTSConfig(maxAge: 60)
            },
        ]
        config.listeners[0].name = "tls"
        var redirect = ListenerConfig(name: "plain", address: HostPort(host: "127.0.0.1", port: 80))
        redirect.redirectHTTPS = .defaultPort
        config.listeners.append(redirect)
        let json = ConfigJSON.encode(config).rendered
        #expect(json.contains(#""certificates":[{"cert":"\#(certificate.certificatePath)","key":"\#(certificate.keyPath)","default":true}]"#))
        #expect(json.contains(#""min_version":"1.2""#))
        #expect(json.contains(#""client_auth":{"mode":"request","ca":"\#(ca)","subject_header":"X-Client-Subject"}"#))
        #expect(json.contains(#""hsts":{"max_age":60,"include_subdomains":false,"preload":false}"#))
        #expect(json.contains(#""redirect_https":true"#))
        #expect(json.contains(#""tls_handshake":"10s""#))
        #expect(!json.contains("PRIVATE KEY"))
    }

    @Test func aDeniedClientIsRefusedBeforeTheHandshake() async throws {
        let files = try TLSTestFiles()
        defer { files.remove() }
        let origin = try await TestOrigin.start()
        let certificate = try files.server("site", names: ["site.test"])
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            var listener = tlsListener([certificate])
            listener.access.deny = [ConfigCIDR.parse("127.0.0.0/8")!]
            config.listeners = [listener]
        }
        defer { Task { await proxy.stop(); try? await origin.stop() } }
        await #expect(throws: (any Error).self) {
            try await TLSTestClient.connect(port: proxy.port, options: .init(serverName: "site.test"))
        }
        let refused = await eventually { proxy.server.listenerRuntimes[0].refusedCounts.access == 1 }
        #expect(refused)
        #expect(proxy.server.tlsHandshakeFailures.map(\.count) == [0])
        #expect(origin.requestCount == 0)
    }

    @Test func aSilentClientIsClosedAfterTheHandshakeTimeout() async throws {
        let files = try TLSTestFiles()
        defer { files.remove() }
        let origin = try await TestOrigin.start()
        let certificate = try files.server("site", names: ["site.test"])
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.listeners = [tlsListener([certificate])]
            config.timeouts.tlsHandshake = .milliseconds(300)
        }
        defer { Task { await proxy.stop(); try? await origin.stop() } }
        let silent = try await RawHTTPClient.connect(port: proxy.port)
        #expect(await silent.waitForClose(timeout: .seconds(20)))
        await silent.close()
    }

    @Test func aNonTLSClientOnATLSListenerIsClosed() async throws {
        let files = try TLSTestFiles()
        defer { files.remove() }
        let origin = try await TestOrigin.start()
        let certificate = try files.server("site", names: ["site.test"])
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.listeners = [tlsListener([certificate])]
        }
        defer { Task { await proxy.stop(); try? await origin.stop() } }
        let plain = try await RawHTTPClient.connect(port: proxy.port)
        try? await plain.send("GET / HTTP/1.1\r\nHost: site.test\r\n\r\n")
        #expect(await plain.waitForClose(timeout: .seconds(20)))
        #expect(origin.requestCount == 0)
    }

    @Test func aServerWithAMissingCertificateDoesNotStart() async throws {
        var listener = tlsListener([ListenerTLSConfig.Certificate(certificatePath: "/nonexistent/x.crt", keyPath: "/nonexistent/x.key")])
        listener.name = "broken"
        let config = PorticoConfig(listeners: [listener], routes: [RouteConfig(name: "r", action: .respond(status: 200, body: "", contentType: "text/plain"))], workers: 1, accessLog: AccessLogConfig(destination: .off))
        let server = try ProxyServer(config: config, logger: .init(label: "test"))
        await #expect(throws: ProxyServer.StartupError.self) { try await server.start() }
        await server.shutdown(grace: .seconds(1))
    }
}
