import Logging
import NIOCore
import NIOEmbedded
import PorticoCore
import Testing

@testable import PorticoProxy

/// `WorkerMetrics` through the real downstream pipeline on an `EmbeddedChannel`:
/// requests are counted per route when their response completes, and a reload keeps
/// every name's counters monotonic.
@Suite struct WorkerMetricsTests {
    static func config(routes: [RouteConfig]) -> PorticoConfig {
        PorticoConfig(
            listeners: [ListenerConfig(name: "test", address: HostPort(host: "127.0.0.1", port: 0))],
            upstreams: [],
            routes: routes,
            accessLog: AccessLogConfig(destination: .off)
        )
    }

    static let hello = RouteConfig(
        name: "hello", match: RouteMatch(path: "/hello"), action: .respond(status: 200, body: "hi\n", contentType: "text/plain")
    )
    static let broken = RouteConfig(
        name: "broken", match: RouteMatch(path: "/broken"), action: .respond(status: 503, body: "", contentType: "text/plain")
    )

    @Test func countsPerRouteAndStayMonotonicAcrossAReload() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        let worker = ProxyWorker(
            eventLoop: loop, snapshot: try RuntimeSnapshot(config: Self.config(routes: [Self.hello, Self.broken])),
            accessLogWriter: nil
        )
        try DownstreamPipeline.configure(channel, worker: worker)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        func send(_ text: String) throws {
            try channel.writeInbound(ByteBuffer(string: text))
            while try channel.readOutbound(as: IOData.self) != nil {}
        }
        func traffic() throws -> TrafficMetrics {
            let future = worker.trafficMetrics()
            loop.run()
            return try future.wait()
        }

        try send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
        try send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
        try send("GET /broken HTTP/1.1\r\nHost: a\r\n\r\n")
        try send("GET /secret/path?q=1 HTTP/1.1\r\nHost: a\r\n\r\n")
        var counts = try traffic()
        #expect(counts.routes["hello"]?.requests["none"]?[2] == 2)
        #expect(counts.routes["hello"]?.responseBytes == 6)
        #expect(counts.routes["hello"]?.duration.count == 2)
        #expect(counts.routes["broken"]?.requests["none"]?[5] == 1)
        #expect(counts.routes[TrafficMetrics.unmatchedRoute]?.requests["none"]?[4] == 1)
        #expect(counts.routes.keys.allSatisfy { !$0.contains("secret") })
        #expect(counts.listeners["-"]?.accepted == 1)
        #expect(counts.listeners["-"]?.open == 1)
        #expect(counts.listeners["-"]?.inFlight == 0)
        let helloBytes = try #require(counts.routes["hello"]?.requestBytes)
        #expect(helloBytes == 2 * "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n".utf8.count)

        // Reload: `hello` moves to another index, `broken` goes away.
        let other = RouteConfig(
            name: "other", match: RouteMatch(path: "/other"), action: .respond(status: 204, body: "", contentType: "text/plain")
        )
        worker.update(snapshot: try RuntimeSnapshot(config: Self.config(routes: [other, Self.hello])))
        loop.run()
        try send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
        try send("GET /other HTTP/1.1\r\nHost: a\r\n\r\n")
        counts = try traffic()
        #expect(counts.routes["hello"]?.requests["none"]?[2] == 3)
        #expect(counts.routes["hello"]?.duration.count == 3)
        #expect(counts.routes["broken"]?.requests["none"]?[5] == 1)
        #expect(counts.routes["other"]?.requests["none"]?[2] == 1)
        #expect(counts.requestCount == 6)
        _ = try? channel.finish()
    }
}

/// The per-server ejection counter keeps counting where the consecutive-ejection
/// count (which backs off the ejection time) resets.
@Suite struct ServerEjectionCounterTests {
    @Test func everyEjectionIsCounted() {
        let state = ServerState(identity: "127.0.0.1:9", groupName: "g", startHealthy: true, logger: .init(label: "test"))
        let config = OutlierDetectionConfig()
        state.eject(now: 1, config: config, reason: "test")
        state.eject(now: 2, config: config, reason: "test")
        #expect(state.ejectionsTotal.load(ordering: .relaxed) == 2)
    }
}
