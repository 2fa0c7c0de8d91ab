import NIOCore
import NIOSSL
import PorticoCore
import PorticoServer
import PorticoTesting
import Testing

/// HTTP/2 by ALPN on a TLS listener, end to end: the TLS listener hands `h2`
/// connections to the HTTP/2 pipeline and `http/1.1` ones to the HTTP/1.1 handler;
/// large bodies stream both ways; a gRPC-style bidirectional stream with trailers
/// crosses from an HTTP/2 client to an h2c upstream.
@Suite("HTTP/2 over TLS", .timeLimit(.minutes(2)))
struct HTTP2OverTLSTests {
    /// A TLS listener offering `h2` and `http/1.1` (the default ALPN list).
    static func listener(_ files: TLSTestFiles) throws -> ListenerConfig {
        var listener = ListenerConfig(name: "tls", address: HostPort(host: "127.0.0.1", port: 0))
        listener.tls = ListenerTLSConfig(certificates: [try files.server("site", names: ["site.test"])])
        return listener
    }

    /// A client context trusting the test CA and offering `alpn`.
    static func clientContext(_ files: TLSTestFiles, alpn: [String]) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates([
            try NIOSSLCertificate(bytes: Array(try files.authority.certificatePEM.utf8), format: .pem)
        ])
        configuration.applicationProtocols = alpn
        return try NIOSSLContext(configuration: configuration)
    }

    @Test func alpnSelectsHTTP2AndLargeBodiesStreamBothWays() async throws {
        let files = try TLSTestFiles()
        defer { files.remove() }
        let size = 8 << 20
        let origin = try await TestOrigin.start { request in
            request.method == "POST" ? .ok : .streamBytes(count: size, chunkSize: 64 << 10, chunked: request.uri == "/chunked")
        }
        let listener = try Self.listener(files)
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.listeners = [listener]
        }
        let client = try await HTTP2TestClient.connect(
            port: proxy.port, tls: try Self.clientContext(files, alpn: ["h2"]), serverHostname: "site.test"
        )

        let upload = try await client.openStream(method: "POST", path: "/upload", authority: "site.test", scheme: "https")
        let chunk = GeneratedBody.bytes(offset: 0, count: 1 << 20)
        for _ in 0..<8 { try await upload.send(chunk) }
        try await upload.finish()
        #expect(try await upload.response(timeout: .seconds(90)).status == 200)
        let seen = try #require(origin.requests().first)
        #expect(seen.bodyDigest == GeneratedBody.digest(count: size))
        #expect(seen.header("X-Forwarded-Proto") == "https")

        for path in ["/sized", "/chunked"] {
            let stream = try await client.openStream(path: path, authority: "site.test", scheme: "https", endStream: true, maxRetainedBodyBytes: 0)
            let download = try await stream.response(timeout: .seconds(90))
            #expect(download.status == 200)
            #expect(download.bodyDigest == GeneratedBody.digest(count: size), "\(path)")
        }
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func anHTTP1ClientOnTheSameListenerGetsHTTP1() async throws {
        let files = try TLSTestFiles()
        defer { files.remove() }
        let origin = try await TestOrigin.start()
        let listener = try Self.listener(files)
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.listeners = [listener]
        }
        let client = try await TLSTestClient.connect(
            port: proxy.port, options: .init(serverName: "site.test", alpn: ["http/1.1"])
        )
        #expect(client.negotiatedProtocol == "http/1.1")
        let response = try await client.roundTrip("GET /h1 HTTP/1.1\r\nHost: site.test\r\n\r\n")
        #expect(response.status == 200)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    /// gRPC through Portico: an HTTP/2 client over TLS, an h2c upstream (`protocol: h2`),
    /// each message echoed before the next is sent, and the trailers at the end.
    @Test func grpcStyleBidirectionalStreamWithTrailersFromAnHTTP2Client() async throws {
        let files = try TLSTestFiles()
        defer { files.remove() }
        let origin = try await HTTP2TestOrigin.start()
        var group = UpstreamGroupConfig(name: "origin", servers: [UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: origin.port))])
        group.upstreamProtocol = .h2
        let listener = try Self.listener(files)
        let proxy = try await ProxyFixture.start(origins: []) { config in
            config.listeners = [listener]
            config.upstreams = [group]
        }
        let client = try await HTTP2TestClient.connect(
            port: proxy.port, tls: try Self.clientContext(files, alpn: ["h2"]), serverHostname: "site.test"
        )
        let stream = try await client.openStream(
            method: "POST", path: "/grpc.Echo/Stream", authority: "site.test", scheme: "https",
            headers: [("content-type", "application/grpc"), ("te", "trailers")]
        )
        var expected = 0
        for index in 1...3 {
            let message = UpstreamHTTP2Tests.grpcMessage("ping-\(index)")
            expected += message.count
            try await stream.send(message)
            // The echo of this message arrives before the next one is sent: both ways stream.
            let target = expected
            #expect(await eventually(timeout: .seconds(20)) { stream.bodyBytesReceived >= target }, "message \(index)")
        }
        try await stream.finish()
        let response = try await stream.response(timeout: .seconds(30))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/grpc")
        #expect(response.bodyString.contains("ping-3"))
        #expect(response.trailers.first(named: "grpc-status") == "0", "\(response.trailers)")
        #expect(response.trailers.first(named: "grpc-message") == "ok")
        #expect(origin.connectionCount == 1)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }
}
