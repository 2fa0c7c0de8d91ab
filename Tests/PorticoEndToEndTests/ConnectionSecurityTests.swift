import Foundation
import NIOCore
import NIOPosix
import PorticoCore
import PorticoServer
import PorticoTesting
import Testing

/// Connection-level edge security over real sockets: PROXY protocol, listener access
/// lists, connection caps (with idle eviction), slow clients (header, body, reading).
@Suite(.timeLimit(.minutes(1))) struct ConnectionSecurityTests {
    // MARK: PROXY protocol

    static let proxyV1 = "PROXY TCP4 203.0.113.7 127.0.0.1 40000 80\r\n"

    /// A v2 PROXY header for TCP over IPv4 from `source`.
    static func proxyV2(source: [UInt8], sourcePort: UInt16 = 40000) -> [UInt8] {
        var bytes: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
        bytes += [0x21, 0x11, 0x00, 12]  // v2 PROXY, TCP over IPv4, 12 address bytes
        bytes += source + [127, 0, 0, 1]
        bytes += [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xFF), 0, 80]
        return bytes
    }

    @Test(arguments: [1, 2])
    func proxyProtocolSourceIsTheClient(version: Int) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portico-pp-\(UUID()).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let origin = try await TestOrigin.start { _ in .echo }
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.listeners[0].proxyProtocol = true
            config.accessLog = AccessLogConfig(destination: .file(path), format: .json)
        }
        let client = try await proxy.connect()
        let expected = version == 1 ? "203.0.113.7" : "198.51.100.9"
        let header = version == 1 ? Array(Self.proxyV1.utf8) : Self.proxyV2(source: [198, 51, 100, 9])
        // The header and the request in one write: HTTP parsing continues on the rest.
        try await client.send(header + Array(get("/pp").utf8))
        let response = try await client.readResponse()
        #expect(response.status == 200)
        let echo = try JSONDecoder().decode(EchoPayload.self, from: Data(response.body))
        #expect(echo.header("X-Forwarded-For") == expected)
        // A second request on the same connection needs no second header.
        #expect(try await client.roundTrip(get("/again")).status == 200)
        await client.close()
        await proxy.stop()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["client"] as? String == expected)
        }
        try await origin.stop()
    }

    @Test func proxyProtocolHeaderSplitAcrossWrites() async throws {
        let origin = try await TestOrigin.start { _ in .echo }
        let proxy = try await ProxyFixture.start(origins: [origin]) { $0.listeners[0].proxyProtocol = true }
        let client = try await proxy.connect()
        let header = Self.proxyV2(source: [192, 0, 2, 44])
        try await client.send(Array(header[..<7]))
        try await Task.sleep(for: .milliseconds(50))
        try await client.send(Array(header[7...]))
        try await Task.sleep(for: .milliseconds(50))
        let response = try await client.roundTrip(get("/"))
        #expect(response.status == 200)
        let echo = try JSONDecoder().decode(EchoPayload.self, from: Data(response.body))
        #expect(echo.header("X-Forwarded-For") == "192.0.2.44")
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func proxyProtocolLocalKeepsTheTCPPeer() async throws {
        let origin = try await TestOrigin.start { _ in .echo }
        let proxy = try await ProxyFixture.start(origins: [origin]) { $0.listeners[0].proxyProtocol = true }
        let client = try await proxy.connect()
        let local: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0x00, 0x00]
        try await client.send(local + Array(get("/").utf8))
        let response = try await client.readResponse()
        #expect(response.status == 200)
        let echo = try JSONDecoder().decode(EchoPayload.self, from: Data(response.body))
        #expect(echo.header("X-Forwarded-For") == "127.0.0.1")
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test(arguments: ["GET / HTTP/1.1\r\nHost: a\r\n\r\n", "PROXY FOO 1.2.3.4\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"])
    func missingOrInvalidProxyHeaderClosesUnanswered(request: String) async throws {
        let origin = try await TestOrigin.start()
        let proxy = try await ProxyFixture.start(origins: [origin]) { $0.listeners[0].proxyProtocol = true }
        let client = try await proxy.connect()
        try await client.send(request)
        let bytes = try await client.readUntilClose(timeout: .seconds(5))
        #expect(bytes.isEmpty)
        #expect(origin.requestCount == 0)
        #expect(proxy.server.listenerRuntimes[0].refusedCounts.proxyProtocol == 1)
        await proxy.stop()
        try await origin.stop()
    }

    @Test func silentClientOnProxyListenerIsClosedAtHeaderTimeout() async throws {
        let origin = try await TestOrigin.start()
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.listeners[0].proxyProtocol = true
            config.timeouts.clientHeader = .seconds(1)
        }
        let client = try await proxy.connect()
        // Incomplete, then nothing. On a loaded machine the timeout may already have
        // closed the connection before this write: the outcome is the same.
        try? await client.send("PROXY TCP4 1.2.3.4")
        let bytes = try await client.readUntilClose(timeout: .seconds(20))
        #expect(bytes.isEmpty)  // no HTTP 408 to a peer that never finished its header
        await proxy.stop()
        try await origin.stop()
    }

    // MARK: Listener access list

    @Test func deniedClientIsClosedWithoutResponse() async throws {
        let origin = try await TestOrigin.start()
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.listeners[0].access = IPAccessConfig(deny: [ConfigCIDR.parse("127.0.0.0/8")!])
        }
        #expect(await refusedWithoutResponse(proxy))
        #expect(origin.requestCount == 0)
        #expect(proxy.server.listenerRuntimes[0].refusedCounts.access == 1)
        #expect(try await proxy.server.openConnectionCount() == 0)
        await proxy.stop()
        try await origin.stop()
    }

    @Test func allowedClientIsServed() async throws {
        let origin = try await TestOrigin.start()
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.listeners[0].access = IPAccessConfig(allow: [ConfigCIDR.parse("10.0.0.0/8")!, ConfigCIDR.parse("127.0.0.1")!])
        }
        let client = try await proxy.connect()
        #expect(try await client.roundTrip(get("/")).status == 200)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func accessListAppliesToTheProxySource() async throws {
        let origin = try await TestOrigin.start()
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.listeners[0].proxyProtocol = true
            config.listeners[0].access = IPAccessConfig(deny: [ConfigCIDR.parse("203.0.113.0/24")!])
        }
        let denied = try await proxy.connect()
        try await denied.send(Self.proxyV1 + get("/"))
        #expect(try await denied.readUntilClose(timeout: .seconds(5)).isEmpty)
        let allowed = try await proxy.connect()
        try await allowed.send(Self.proxyV2(source: [198, 51, 100, 1]))
        #expect(try await allowed.roundTrip(get("/")).status == 200)
        await allowed.close()
        #expect(origin.requestCount == 1)
        await proxy.stop()
        try await origin.stop()
    }

    // MARK: Connection caps

    @Test func maxConnectionsPerIP() async throws {
        let origin = try await TestOrigin.start()
        let proxy = try await ProxyFixture.start(origins: [origin]) { $0.listeners[0].maxConnectionsPerIP = 2 }
        let first = try await proxy.connect()
        let second = try await proxy.connect()
        #expect(try await first.roundTrip(get("/1")).status == 200)
        #expect(try await second.roundTrip(get("/2")).status == 200)
        #expect(await refusedWithoutResponse(proxy))
        await first.close()
        try await waitForOpenConnections(proxy, 1)
        let fourth = try await proxy.connect()
        #expect(try await fourth.roundTrip(get("/4")).status == 200)
        #expect(try await second.roundTrip(get("/2b")).status == 200)
        await second.close()
        await fourth.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func listenerMaxConnections() async throws {
        let origin = try await TestOrigin.start()
        let proxy = try await ProxyFixture.start(origins: [origin]) { $0.listeners[0].maxConnections = 1 }
        let first = try await proxy.connect()
        #expect(try await first.roundTrip(get("/")).status == 200)
        #expect(await refusedWithoutResponse(proxy))
        #expect(try await first.roundTrip(get("/")).status == 200)
        await first.close()
        try await waitForOpenConnections(proxy, 0)
        let third = try await proxy.connect()
        #expect(try await third.roundTrip(get("/")).status == 200)
        await third.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func globalCapEvictsTheOldestIdleConnection() async throws {
        let origin = try await TestOrigin.start()
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.workers = 1  // eviction looks at the accepting worker's connections
            config.security.maxConnections = 2
        }
        let oldest = try await proxy.connect()
        #expect(try await oldest.roundTrip(get("/1")).status == 200)
        try await Task.sleep(for: .milliseconds(50))
        let newer = try await proxy.connect()
        #expect(try await newer.roundTrip(get("/2")).status == 200)
        let third = try await proxy.connect()
        #expect(try await third.roundTrip(get("/3")).status == 200)
        #expect(await oldest.waitForClose(timeout: .seconds(5)))
        #expect(!newer.isClosed)
        #expect(try await newer.roundTrip(get("/2b")).status == 200)
        #expect(proxy.server.listenerRuntimes[0].refusedCounts.evicted == 1)
        #expect(try await proxy.server.openConnectionCount() == 2)
        await newer.close()
        await third.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func globalCapWithoutIdleConnectionRefuses() async throws {
        let origin = try await TestOrigin.start { _ in .delayHead(.milliseconds(1500), then: .ok) }
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.workers = 1
            config.security.maxConnections = 1
        }
        let busy = try await proxy.connect()
        try await busy.send(get("/slow"))
        while origin.connectionCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await refusedWithoutResponse(proxy))
        #expect(try await busy.readResponse().status == 200)
        await busy.close()
        await proxy.stop()
        try await origin.stop()
    }

    // MARK: Slow clients

    @Test func slowlorisHeaderIsCutOffAtHeaderTimeout() async throws {
        let origin = try await TestOrigin.start()
        let proxy = try await ProxyFixture.start(origins: [origin]) { $0.timeouts.clientHeader = .seconds(3) }
        let slow = try await proxy.connect()
        let start = ContinuousClock.now
        let trickle = Task {
            // One byte every 200 ms, for far longer than the timeout if allowed.
            for byte in Array("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".utf8) {
                if slow.isClosed || Task.isCancelled { return }
                try? await slow.send([byte])
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        // Served normally meanwhile.
        let other = try await proxy.connect()
        #expect(try await other.roundTrip(get("/")).status == 200)
        let response = try await slow.readResponse(timeout: .seconds(10))
        #expect(response.status == 408)
        #expect(await slow.waitForClose(timeout: .seconds(5)))
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .seconds(12), "cut off after \(elapsed), before the 15 s trickle ended")
        trickle.cancel()
        #expect(try await other.roundTrip(get("/")).status == 200)
        await other.close()
        #expect(origin.requestCount == 2)
        await proxy.stop()
        try await origin.stop()
    }

    @Test func bodyBelowMinimumRateGets408() async throws {
        let origin = try await TestOrigin.start { _ in .echo }
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.timeouts.clientMinBodyRate = 1000
            config.timeouts.clientMinBodyRateGracePeriod = .milliseconds(500)
        }
        // A body at full speed passes.
        let fast = try await proxy.connect()
        let body = String(repeating: "x", count: 5000)
        let ok = try await fast.roundTrip("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n" + body)
        #expect(ok.status == 200)
        await fast.close()

        let slow = try await proxy.connect()
        try await slow.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n")
        let start = ContinuousClock.now
        let trickle = Task {
            // 10 bytes every 200 ms: 50 B/s against 1000 B/s.
            for _ in 0..<100 {
                if slow.isClosed || Task.isCancelled { return }
                try? await slow.send(Array(repeating: UInt8(ascii: "y"), count: 10))
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        let response = try await slow.readResponse(timeout: .seconds(10))
        #expect(response.status == 408)
        #expect(await slow.waitForClose(timeout: .seconds(5)))
        #expect(ContinuousClock.now - start < .seconds(15))  // well before the 20 s trickle ends
        trickle.cancel()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func clientThatDoesNotReadIsCutOffAfterSendTimeout() async throws {
        let origin = try await TestOrigin.start { _ in .streamBytes(count: 256 << 20, chunkSize: 64 << 10, chunked: false) }
        let proxy = try await ProxyFixture.start(origins: [origin]) { $0.timeouts.clientSend = .seconds(1) }
        let client = try await NonReadingClient.connect(port: proxy.port)
        try await client.send(get("/big"))
        while try await proxy.server.openConnectionCount() == 0 { try await Task.sleep(for: .milliseconds(10)) }
        let start = ContinuousClock.now
        try await waitForOpenConnections(proxy, 0, timeout: .seconds(20))
        #expect(ContinuousClock.now - start < .seconds(20))
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }
}

/// Connects and expects the proxy to close the connection at once, unanswered. The
/// close can come before the test client has finished setting up its pipeline (then
/// `connect` fails with a pipeline error), which counts as refused too.
private func refusedWithoutResponse(_ proxy: ProxyFixture) async -> Bool {
    let client: RawHTTPClient
    do {
        client = try await proxy.connect()
    } catch {
        return error is ChannelPipelineError
    }
    do {
        return try await client.readUntilClose(timeout: .seconds(5)).isEmpty
    } catch {
        return false
    }
}

/// Polls until the proxy has `count` open client connections.
private func waitForOpenConnections(_ proxy: ProxyFixture, _ count: Int, timeout: Duration = .seconds(5)) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await proxy.server.openConnectionCount() != count {
        guard ContinuousClock.now < deadline else {
            Issue.record("open connections: \(try await proxy.server.openConnectionCount()), expected \(count)")
            return
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// A client that never reads (auto-read off, small receive buffer): the proxy's writes
/// to it back up.
private struct NonReadingClient {
    let channel: any Channel

    static func connect(port: Int) async throws -> NonReadingClient {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: false)
            .channelOption(.socketOption(.so_rcvbuf), value: 4096)
            .connect(host: "127.0.0.1", port: port)
            .get()
        return NonReadingClient(channel: channel)
    }

    func send(_ text: String) async throws {
        try await self.channel.writeAndFlush(ByteBuffer(string: text))
    }

    func close() async {
        try? await self.channel.close()
    }
}
