import Foundation
import PorticoCore
import PorticoTesting
import Testing

/// HTTP/1.1 Upgrade and WebSocket tunnels end to end (RFC 9110 §7.8, RFC 6455 §4):
/// echo through the proxy, closes from either side, the tunnel idle timeout, non-101
/// answers, generic upgrades, reloads and backpressure.
@Suite(.timeLimit(.minutes(1))) struct WebSocketTunnelTests {
    /// A proxy whose only upstream is `origin`.
    static func proxy(
        to origin: WebSocketTestOrigin,
        configure: (inout PorticoConfig) -> Void = { _ in }
    ) async throws -> ProxyFixture {
        try await ProxyFixture.start(origins: [], extraServers: [HostPort(host: "127.0.0.1", port: origin.port)], configure: configure)
    }

    /// A JSON access log with the fields a tunnel's line is checked on.
    struct LogFile {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portico-ws-\(UUID()).log").path
        var config: AccessLogConfig {
            AccessLogConfig(
                destination: .file(self.path), format: .json,
                fields: [.method, .target, .status, .bytesSent, .bytesReceived, .duration, .upstreamAddr]
            )
        }

        func objects() -> [[String: Any]] {
            guard let text = try? String(contentsOfFile: self.path, encoding: .utf8) else { return [] }
            return text.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }

        func remove() { try? FileManager.default.removeItem(atPath: self.path) }
    }

    @Test func echoesTextBinaryLargeAndFragmentedMessages() async throws {
        let origin = try await WebSocketTestOrigin.start()
        let proxy = try await Self.proxy(to: origin)
        let ws = try await WebSocketTestClient.connect(
            port: proxy.port, path: "/chat", extraHeaders: [("Sec-WebSocket-Protocol", "chat, superchat")]
        )
        #expect(ws.handshake.status == 101)
        #expect(ws.handshake.header("upgrade")?.lowercased() == "websocket")
        #expect(ws.handshake.header("connection")?.lowercased() == "upgrade")
        #expect(ws.handshake.header("sec-websocket-protocol") == "chat")

        try await ws.send(text: "hello")
        #expect(try await ws.receive() == .text("hello"))
        let binary = (0..<256).map { UInt8($0) }
        try await ws.send(binary: binary)
        #expect(try await ws.receive() == .binary(binary))
        var large = [UInt8](repeating: 0, count: 1 << 20)
        for i in large.indices { large[i] = UInt8(truncatingIfNeeded: i &* 31 &+ i >> 8) }
        try await ws.send(binary: large)
        #expect(try await ws.receive(timeout: .seconds(20)) == .binary(large))
        try await ws.sendFragmented(text: "fragmented message", pieces: 4)
        #expect(try await ws.receive() == .text("fragmented message"))
        try await ws.sendFragmented(binary: large, pieces: 7)
        #expect(try await ws.receive(timeout: .seconds(20)) == .binary(large))
        try await ws.ping([1, 2, 3])
        #expect(try await ws.receive() == .pong([1, 2, 3]))

        // What the origin received: the upgrade, its hop-by-hop fields re-sent by Portico,
        // the WebSocket fields end to end, Portico's forwarding fields.
        let request = try #require(origin.upgradeRequests.first)
        #expect(request.method == .GET)
        #expect(request.uri == "/chat")
        #expect(request.headers["upgrade"] == ["websocket"])
        #expect(request.headers["connection"].map { $0.lowercased() } == ["upgrade"])
        #expect(request.headers["sec-websocket-version"] == ["13"])
        #expect(request.headers["sec-websocket-key"].count == 1)
        #expect(request.headers["sec-websocket-protocol"] == ["chat, superchat"])
        #expect(request.headers["x-forwarded-for"] == ["127.0.0.1"])
        #expect(origin.connectionCount == 1)

        await ws.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func aCloseFromTheClientEndsBothConnectionsAndLogsTheTunnel() async throws {
        let log = LogFile()
        defer { log.remove() }
        let origin = try await WebSocketTestOrigin.start()
        let proxy = try await Self.proxy(to: origin) { $0.accessLog = log.config }
        let ws = try await WebSocketTestClient.connect(port: proxy.port, path: "/logged")
        try await ws.send(text: "abc")  // 2 + 4 (mask) + 3 = 9 bytes up, 2 + 3 = 5 bytes down
        #expect(try await ws.receive() == .text("abc"))
        try await ws.sendClose(code: 1000)  // 2 + 4 + 2 = 8 bytes up
        #expect(try await ws.receive() == .close(1000))  // 2 + 2 = 4 bytes down
        #expect(await ws.waitForClose())
        #expect(await eventually { origin.openConnectionCount == 0 })

        // One line for the whole tunnel, written when it ended.
        #expect(await eventually { !log.objects().isEmpty })
        let lines = log.objects()
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line["status"] as? Int == 101)
        #expect(line["method"] as? String == "GET")
        #expect(line["target"] as? String == "/logged")
        #expect(line["bytes_sent"] as? Int == 9)
        #expect(line["bytes_received"] as? Int == 17)
        #expect(line["upstream_addr"] as? String == "127.0.0.1:\(origin.port)")
        await proxy.stop()
        try await origin.stop()
    }

    @Test func aCloseFromTheOriginEndsBothConnections() async throws {
        let origin = try await WebSocketTestOrigin.start()
        let proxy = try await Self.proxy(to: origin)
        let ws = try await WebSocketTestClient.connect(port: proxy.port)
        try await ws.send(text: "close-me")
        // The client answers the origin's close frame; the origin then closes TCP.
        #expect(try await ws.receive() == .close(1000))
        #expect(await ws.waitForClose())
        #expect(await eventually { origin.openConnectionCount == 0 })
        await proxy.stop()
        try await origin.stop()
    }

    @Test func theTunnelIdleTimeoutClosesBothSidesAndTrafficResetsIt() async throws {
        let origin = try await WebSocketTestOrigin.start()
        let proxy = try await Self.proxy(to: origin) { $0.timeouts.tunnelIdle = .seconds(2) }
        let ws = try await WebSocketTestClient.connect(port: proxy.port)
        // Traffic every 0.5 s for 3 s keeps it open past the 2 s timeout.
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(3) {
            try await ws.send(text: "keep")
            #expect(try await ws.receive() == .text("keep"))
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(!ws.isClosed)
        // Then silence: both sides close.
        #expect(await ws.waitForClose(timeout: .seconds(20)))
        #expect(await eventually { origin.openConnectionCount == 0 })
        await proxy.stop()
        try await origin.stop()
    }

    @Test func aNon101AnswerToAnUpgradeIsAnOrdinaryResponse() async throws {
        let origin = try await WebSocketTestOrigin.start()
        let proxy = try await Self.proxy(to: origin)
        let client = try await proxy.connect()
        let upgrade = "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        let response = try await client.roundTrip(get("/no-upgrade", extra: upgrade))
        #expect(response.status == 200)
        #expect(response.bodyString == "plain /no-upgrade")
        #expect(response.header("upgrade") == nil)
        // The connection goes on as an ordinary keep-alive connection.
        #expect(!response.closesConnection)
        #expect(try await client.roundTrip(get("/next")).bodyString == "plain /next")
        // The origin's connection is not reused after a refused upgrade (its parser may
        // already expect the new protocol, as llhttp-based servers' do).
        #expect(origin.connectionCount == 2)
        #expect(origin.plainRequests.first?.headers["upgrade"] == ["websocket"])

        // A request that cannot tunnel (not a body-less GET) goes without the upgrade.
        let post = try await client.roundTrip(
            "POST /form HTTP/1.1\r\nHost: example.test\r\nConnection: upgrade\r\nUpgrade: websocket\r\nContent-Length: 2\r\n\r\nhi"
        )
        #expect(post.bodyString == "plain /form")
        #expect(post.closesConnection)
        let forwarded = try #require(origin.plainRequests.last)
        #expect(forwarded.uri == "/form")
        #expect(forwarded.headers["upgrade"].isEmpty)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func a101ForAProtocolNobodyOfferedIsABadGateway() async throws {
        let origin = try await WebSocketTestOrigin.start()
        let proxy = try await Self.proxy(to: origin)
        await #expect {
            _ = try await WebSocketTestClient.connect(port: proxy.port, path: "/bogus-101")
        } throws: { error in
            guard case WebSocketTestClientError.handshakeFailed(let status, _) = error else { return false }
            return status == 502
        }
        await proxy.stop()
        try await origin.stop()
    }

    @Test func aGenericUpgradeTunnelsRawBytes() async throws {
        let origin = try await WebSocketTestOrigin.start()
        let proxy = try await Self.proxy(to: origin)
        let tunnel = try await WebSocketTestClient.connect(port: proxy.port, protocolName: "echo-raw")
        #expect(tunnel.handshake.status == 101)
        #expect(tunnel.handshake.header("upgrade") == "echo-raw")
        let bytes = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try await tunnel.sendRaw(bytes)
        #expect(try await tunnel.readRaw(count: bytes.count) == bytes)
        // Not HTTP any more: a request line is just bytes.
        try await tunnel.sendRaw(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        #expect(try await tunnel.readRaw(count: 18) == Array("GET / HTTP/1.1\r\n\r\n".utf8))
        await tunnel.close()
        #expect(await eventually { origin.openConnectionCount == 0 })
        await proxy.stop()
        try await origin.stop()
    }

    @Test func aWebSocketKeepsEchoingAcrossAReload() async throws {
        let origin = try await WebSocketTestOrigin.start()
        var config = PorticoConfig()
        let proxy = try await Self.proxy(to: origin) { config = $0 }
        let ws = try await WebSocketTestClient.connect(port: proxy.port)
        try await ws.send(text: "before")
        #expect(try await ws.receive() == .text("before"))

        config.routes.insert(
            RouteConfig(
                name: "new", match: RouteMatch(path: "/new"),
                action: .respond(status: 200, body: "reloaded", contentType: "text/plain")
            ),
            at: 0
        )
        try await proxy.server.reload(config: config)
        let client = try await proxy.connect()
        var answer = try await client.roundTrip(get("/new"))
        for _ in 0..<50 where answer.bodyString != "reloaded" {
            try await Task.sleep(for: .milliseconds(20))
            answer = try await client.roundTrip(get("/new"))
        }
        #expect(answer.bodyString == "reloaded")

        for i in 0..<5 {
            try await ws.send(text: "after \(i)")
            #expect(try await ws.receive() == .text("after \(i)"))
        }
        #expect(origin.connectionCount == 1)
        try await ws.sendClose()
        #expect(try await ws.receive() == .close(1000))
        #expect(await ws.waitForClose())
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    /// A shutdown lets an open tunnel run during the grace period, then closes it.
    @Test func aDrainLetsTheTunnelRunUntilTheGracePeriodEnds() async throws {
        let origin = try await WebSocketTestOrigin.start()
        let proxy = try await Self.proxy(to: origin)
        let ws = try await WebSocketTestClient.connect(port: proxy.port)
        let shutdown = Task { await proxy.server.shutdown(grace: .seconds(3)) }
        // New connections are refused once the listener closed; the tunnel still works.
        #expect(
            await eventually {
                guard let probe = try? await RawHTTPClient.connect(port: proxy.port) else { return true }
                await probe.close()
                return false
            }
        )
        try await ws.send(text: "draining")
        #expect(try await ws.receive() == .text("draining"))
        #expect(await ws.waitForClose(timeout: .seconds(20)))
        await shutdown.value
        #expect(await eventually { origin.openConnectionCount == 0 })
        try await origin.stop()
    }

    /// The client stops reading while the origin sends without pause: Portico stops
    /// reading from the origin, so the origin is held back by TCP flow control instead
    /// of Portico buffering everything (the origin would send 1 GiB).
    @Test func aClientThatStopsReadingHoldsTheOriginBack() async throws {
        let origin = try await WebSocketTestOrigin.start()
        let proxy = try await Self.proxy(to: origin)
        let tunnel = try await WebSocketTestClient.connect(port: proxy.port, protocolName: "flood-raw")
        try await tunnel.pauseReading()

        // Wait for the origin's writes to stall: no progress over about a second.
        var last = -1
        var stableSamples = 0
        let deadline = ContinuousClock.now + .seconds(40)
        while stableSamples < 4, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(300))
            let now = origin.floodBytesWritten
            stableSamples = now == last ? stableSamples + 1 : 0
            last = now
        }
        #expect(stableSamples >= 4, "the origin never stalled (\(last) bytes written)")
        // Kernel buffers on both connections plus Portico's write buffer: a few MiB.
        #expect(last < 64 << 20, "\(last) bytes left the origin while the client was not reading")

        // Reading again drains the tunnel and the origin moves on. Read in steps until it
        // does: kernel buffers on the way may hold several MiB (more than one step), and
        // on a loaded machine a "stall" above may have been a starved origin instead.
        try await tunnel.resumeReading()
        let resumeDeadline = ContinuousClock.now + .seconds(40)
        while origin.floodBytesWritten <= last, ContinuousClock.now < resumeDeadline {
            _ = try await tunnel.readRaw(count: 256 << 10, timeout: .seconds(20))
        }
        try await tunnel.pauseReading()  // the origin goes on sending: do not buffer it all here
        #expect(origin.floodBytesWritten > last)
        await tunnel.close()
        #expect(await eventually { origin.openConnectionCount == 0 })
        await proxy.stop()
        try await origin.stop()
    }
}
