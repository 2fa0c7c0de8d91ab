import Foundation
import Logging
import PorticoCore
import PorticoServer
import PorticoTesting
import Testing

/// Graceful shutdown, startup errors and the access log.
@Suite(.timeLimit(.minutes(1))) struct LifecycleTests {
    /// The origin answers after 2 s, so the shutdown surely starts while the request is
    /// in flight even when a loaded runner takes long to get there.
    @Test func gracefulShutdownLetsInFlightRequestFinish() async throws {
        let origin = try await TestOrigin.start { _ in .delayHead(.seconds(2), then: .text("done")) }
        let proxy = try await ProxyFixture.start(origins: [origin])
        let client = try await proxy.connect()
        try await client.send(get("/slow"))
        // Wait until the origin has the request, so it is truly in flight.
        while origin.connectionCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
        async let stopped: Void = proxy.server.shutdown(grace: .seconds(10))
        let response = try await client.readResponse(timeout: .seconds(10))
        #expect(response.status == 200)
        #expect(response.bodyString == "done")
        #expect(response.header("Connection") == "close")
        #expect(await client.waitForClose())
        await stopped
        // No longer accepting.
        await #expect(throws: (any Error).self) {
            let late = try await RawHTTPClient.connect(port: proxy.port, connectTimeout: .seconds(2))
            _ = try await late.roundTrip(get("/"), timeout: .seconds(2))
        }
        try await origin.stop()
    }

    /// An idle keep-alive connection is not closed the moment a drain starts: a request
    /// it sends within the linger is served, as the connection's last (`Connection:
    /// close`), instead of racing a close (DownstreamHandler.drainLinger).
    @Test func drainServesTheNextRequestOfAnIdleKeepAliveConnection() async throws {
        let origin = try await TestOrigin.start { _ in .text("ok") }
        let proxy = try await ProxyFixture.start(origins: [origin])
        let client = try await proxy.connect()
        #expect(try await client.roundTrip(get("/first")).status == 200)
        async let stopped: Void = proxy.server.shutdown(grace: .seconds(10))
        while proxy.server.isAcceptingTraffic { try await Task.sleep(for: .milliseconds(10)) }
        // Let the drain reach the connection (it runs on the connection's loop).
        try await Task.sleep(for: .milliseconds(300))
        let response = try await client.roundTrip(get("/second"))
        #expect(response.status == 200)
        #expect(response.header("Connection") == "close")
        #expect(await client.waitForClose())
        await stopped
        #expect(origin.requests().map(\.uri) == ["/first", "/second"])
        try await origin.stop()
    }

    @Test func gracePeriodBoundsShutdown() async throws {
        let origin = try await TestOrigin.start { _ in .delayHead(.seconds(30), then: .ok) }
        let proxy = try await ProxyFixture.start(origins: [origin])
        let client = try await proxy.connect()
        try await client.send(get("/hang"))
        while origin.connectionCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
        let start = ContinuousClock.now
        await proxy.server.shutdown(grace: .milliseconds(300))
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(await client.waitForClose())
        try await origin.stop()
    }

    @Test func portInUseIsAClearStartupError() async throws {
        let origin = try await TestOrigin.start()
        let config = PorticoConfig(
            listeners: [ListenerConfig(name: "taken", address: HostPort(host: "127.0.0.1", port: origin.port))],
            upstreams: [UpstreamGroupConfig(name: "o", servers: [UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: 1))])],
            routes: [RouteConfig(name: "r", action: .upstream("o"))],
            workers: 1,
            accessLog: AccessLogConfig(destination: .off)
        )
        let server = try ProxyServer(config: config, logger: Logger(label: "test"))
        do {
            try await server.start()
            Issue.record("bind on a used port succeeded")
        } catch let error as ProxyServer.StartupError {
            #expect(error.description.contains("cannot listen on 127.0.0.1:\(origin.port)"))
            #expect(error.description.contains("in use"))
        }
        await server.shutdown(grace: .zero)
        try await origin.stop()
    }

    @Test(arguments: [AccessLogConfig.Format.text, .json])
    func accessLogRecordsEachRequest(format: AccessLogConfig.Format) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portico-access-\(UUID()).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let origin = try await TestOrigin.start { _ in .text("hello") }
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.accessLog = AccessLogConfig(destination: .file(path), format: format)
        }
        let client = try await proxy.connect()
        #expect(try await client.roundTrip(get("/logged?q=1", extra: "User-Agent: tester/1\r\n")).status == 200)
        await client.close()
        await proxy.stop()
        let log = try String(contentsOfFile: path, encoding: .utf8)
        let lines = log.split(separator: "\n")
        #expect(lines.count == 1)
        let line = String(lines.first ?? "")
        #expect(line.contains("/logged?q=1"))
        #expect(line.contains("127.0.0.1:\(origin.port)"))
        #expect(line.contains("tester/1"))
        switch format {
        case .text:
            #expect(line.hasPrefix("127.0.0.1 - - ["))
            #expect(line.contains("\"GET /logged?q=1 HTTP/1.1\" 200 5 "))
            #expect(line.contains(" up=origin att=1 "))
        case .json:
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["status"] as? Int == 200)
            #expect(object?["bytes_sent"] as? Int == 5)
            #expect(object?["route"] as? String == "default")
            #expect((object?["request_id"] as? String)?.count == 16)
            #expect(object?["upstream_group"] as? String == "origin")
            #expect(object?["attempts"] as? Int == 1)
        }
        try await origin.stop()
    }
}
