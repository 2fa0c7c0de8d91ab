import Logging
import NIOCore
import NIOHTTP2
import PorticoCore
import PorticoServer
import PorticoTesting
import Testing

/// HTTP/2 bodies stream under flow control in both directions, a slow stream stalls
/// only itself, a rapid-reset flood ends its own connection (and its upstream
/// exchanges) without disturbing others, and shutdown drains with GOAWAY.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct HTTP2FlowControlTests {
    static let eightMiB = 8 << 20

    @Test func largeUploadAndDownloadStream() async throws {
        let origin = try await TestOrigin.start { request in
            request.method == "POST" ? .ok : .streamBytes(count: Self.eightMiB, chunkSize: 64 << 10, chunked: request.uri == "/chunked")
        }
        let proxy = try await HTTP2DownstreamTests.start(origins: [origin])
        let client = try await HTTP2TestClient.connect(port: proxy.port)

        let upload = try await client.openStream(method: "POST", path: "/upload")
        let chunk = GeneratedBody.bytes(offset: 0, count: 1 << 20)
        for _ in 0..<8 { try await upload.send(chunk) }
        try await upload.finish()
        let uploaded = try await upload.response(timeout: .seconds(60))
        #expect(uploaded.status == 200)
        let seen = try #require(origin.requests().first)
        #expect(seen.bodyDigest == GeneratedBody.digest(count: Self.eightMiB))

        for path in ["/sized", "/chunked"] {
            let stream = try await client.openStream(path: path, endStream: true, maxRetainedBodyBytes: 0)
            let download = try await stream.response(timeout: .seconds(60))
            #expect(download.status == 200)
            #expect(download.bodyDigest == GeneratedBody.digest(count: Self.eightMiB), "\(path)")
        }
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    /// A client that stops reading one stream: the proxy stops reading that stream's
    /// upstream (its send window is exhausted) instead of buffering the body, and the
    /// connection's other streams carry on.
    @Test func slowStreamDoesNotBufferOrStallOthers() async throws {
        let size = 64 << 20
        let origin = try await TestOrigin.start { request in
            request.uri == "/big" ? .streamBytes(count: size, chunkSize: 64 << 10, chunked: false) : .ok
        }
        let proxy = try await HTTP2DownstreamTests.start(origins: [origin])
        let client = try await HTTP2TestClient.connect(port: proxy.port)
        let before = residentBytes()
        let slow = try await client.openStream(path: "/big", endStream: true, autoRead: false, maxRetainedBodyBytes: 0)
        // The slow stream is stuck at its window; other streams still complete.
        for index in 0..<5 {
            let other = try await client.request(path: "/other/\(index)")
            #expect(other.status == 200)
        }
        try await Task.sleep(for: .milliseconds(500))  // time for an unbounded proxy to buffer
        let growth = residentBytes() - before
        #expect(growth < 32 << 20, "resident memory grew by \(growth >> 20) MiB while the client did not read")
        #expect(slow.bodyBytesReceived < size)
        try await slow.startReading()
        let response = try await slow.response(timeout: .seconds(90))
        #expect(response.bodyDigest == GeneratedBody.digest(count: size))
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    /// A slow upstream (not reading the request body) stops that stream's inbound at its
    /// window, not the connection: another stream's upload completes meanwhile.
    @Test func slowUpstreamPausesOnlyItsStream() async throws {
        let reading = try await TestOrigin.start { _ in .ok }
        // An origin that accepts the connection but never reads: the request body backs up.
        let stalled = try await TestOrigin.start { _ in .delayHead(.seconds(30), then: .ok) }
        let yaml = """
            listeners: [{ address: "127.0.0.1:0", http2: { cleartext: true, initial_window_size: 64KiB } }]
            upstreams:
              - { name: reading, servers: ["127.0.0.1:\(reading.port)"] }
              - { name: stalled, servers: ["127.0.0.1:\(stalled.port)"] }
            routes:
              - { match: { path_prefix: /stalled }, upstream: stalled }
              - { upstream: reading }
            access_log: off
            timeouts: { upstream_idle: 60s }
            """
        let server = try ProxyServer(config: try ConfigLoader.parse(yaml: yaml, file: "h2.yaml"), logger: HTTP2DownstreamTests.logger)
        try await server.start()
        let client = try await HTTP2TestClient.connect(port: server.listeningPorts[0])
        let stuck = try await client.openStream(method: "POST", path: "/stalled")
        let big = GeneratedBody.bytes(offset: 0, count: 32 << 20)
        let stuckUpload = Task { try await stuck.send(big, endStream: true) }
        // The other stream's 4 MiB upload completes although the first one is stuck.
        let upload = try await client.openStream(method: "POST", path: "/fine")
        try await upload.send(GeneratedBody.bytes(offset: 0, count: 4 << 20), endStream: true)
        let response = try await upload.response(timeout: .seconds(60))
        #expect(response.status == 200)
        #expect(reading.requests().first?.bodyDigest == GeneratedBody.digest(count: 4 << 20))
        try await stuck.reset()
        stuckUpload.cancel()
        await client.close()
        await server.shutdown(grace: .seconds(1))
        try await reading.stop()
        try await stalled.stop()
    }

    @Test func rapidResetFloodClosesOnlyThatConnection() async throws {
        let slow = try await TestOrigin.start { _ in .delayHead(.seconds(30), then: .ok) }
        let fast = try await TestOrigin.start { _ in .ok }
        let proxy = try await HTTP2DownstreamTests.start(origins: [fast]) { config in
            config.upstreams.append(
                UpstreamGroupConfig(name: "slow", servers: [UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: slow.port))])
            )
            var route = RouteConfig(name: "slow", action: .upstream("slow"))
            route.match.pathPrefix = "/slow"
            config.routes.insert(route, at: 0)
        }
        let attacker = try await HTTP2TestClient.connect(port: proxy.port)
        let bystander = try await HTTP2TestClient.connect(port: proxy.port)

        let bystanderRequests = Task {
            var statuses: [Int] = []
            for index in 0..<40 {
                statuses.append((try? await bystander.request(path: "/fast/\(index)").status) ?? -1)
            }
            return statuses
        }
        var sent = 0
        flood: for _ in 0..<5_000 {
            do {
                let stream = try await attacker.openStream(path: "/slow", endStream: true)
                try await stream.reset(.cancel)
                sent += 1
            } catch {
                break flood  // the connection is gone
            }
        }
        try await attacker.waitForClose()
        #expect(sent < 5_000, "the flood was never stopped")
        let goAways = try await attacker.goAways()
        #expect(goAways.contains { $0.code == .enhanceYourCalm }, "\(goAways)")
        let statuses = await bystanderRequests.value
        #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
        // Every upstream exchange the flood started is torn down, none left in flight.
        #expect(await eventually { slow.openConnectionCount == 0 })
        #expect(try await proxy.server.openConnectionCount() == 1)
        await bystander.close()
        await proxy.stop()
        try await slow.stop()
        try await fast.stop()
    }

    @Test func shutdownSendsGoAwayAndLetsStreamsFinish() async throws {
        let origin = try await TestOrigin.start { _ in .delayHead(.milliseconds(800), then: .text("finished")) }
        let proxy = try await HTTP2DownstreamTests.start(origins: [origin])
        let client = try await HTTP2TestClient.connect(port: proxy.port)
        let stream = try await client.openStream(path: "/slow", endStream: true)
        #expect(await eventually { origin.requestCount == 1 })
        let shutdown = Task { await proxy.server.shutdown(grace: .seconds(20)) }
        let response = try await stream.response(timeout: .seconds(20))
        #expect(response.status == 200)
        #expect(response.bodyString == "finished")
        try await client.waitForClose()
        let goAways = try await client.goAways()
        #expect(!goAways.isEmpty && goAways.allSatisfy { $0.code == .noError }, "\(goAways)")
        await shutdown.value
        try await origin.stop()
    }

    @Test func idleConnectionIsDrainedOnQuiesce() async throws {
        let origin = try await TestOrigin.start { _ in .ok }
        let proxy = try await HTTP2DownstreamTests.start(origins: [origin])
        let client = try await HTTP2TestClient.connect(port: proxy.port)
        #expect(try await client.request(path: "/").status == 200)
        let shutdown = Task { await proxy.server.shutdown(grace: .seconds(20)) }
        try await client.waitForClose(timeout: .seconds(10))
        #expect(try await client.goAways().first?.code == .noError)
        await shutdown.value
        try await origin.stop()
    }
}
