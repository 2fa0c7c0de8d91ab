import Benchmark
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PorticoCore
import PorticoServer
import PorticoTesting

/// Allocations per request: the same keep-alive client does one 1 KiB GET per
/// iteration, either straight to the origin ("direct") or through Portico
/// ("proxied"). Client and origin allocate the same in both, so
/// `proxied - direct` is what Portico adds per proxied request. Counts are
/// deterministic, unlike time, which is why they guard the hot path.
final class Fixture: Sendable {
    struct State {
        var origin: TestOrigin?
        var server: ProxyServer?
        var direct: RawHTTPClient?
        var proxied: RawHTTPClient?
    }

    let state = NIOLockedValueBox(State())

    func start() async throws {
        if self.state.withLockedValue({ $0.origin != nil }) { return }
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 1024)
        let origin = try await TestOrigin.start { _ in
            .respond(status: 200, headers: [("Content-Type", "application/octet-stream")], body: body)
        }
        let config = PorticoConfig(
            listeners: [ListenerConfig(name: "bench", address: HostPort(host: "127.0.0.1", port: 0))],
            upstreams: [UpstreamGroupConfig(name: "origin", servers: [UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: origin.port))])],
            routes: [RouteConfig(name: "all", action: .upstream("origin"))],
            workers: 1,
            accessLog: AccessLogConfig(destination: .off)
        )
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let server = try ProxyServer(config: config, logger: logger)
        try await server.start()
        let direct = try await RawHTTPClient.connect(port: origin.port, maxRetainedBodyBytes: 0)
        let proxied = try await RawHTTPClient.connect(port: server.listeningPorts[0], maxRetainedBodyBytes: 0)
        self.state.withLockedValue { $0 = State(origin: origin, server: server, direct: direct, proxied: proxied) }
    }

    func client(proxied: Bool) -> RawHTTPClient {
        self.state.withLockedValue { proxied ? $0.proxied! : $0.direct! }
    }
}

let fixture = Fixture()
let request = "GET /1k HTTP/1.1\r\nHost: bench\r\nUser-Agent: alloc-bench\r\n\r\n"

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.mallocCountTotal, .wallClock],
        warmupIterations: 200,
        scalingFactor: .one,
        maxDuration: .seconds(5),
        maxIterations: 2_000,
        thresholds: [.mallocCountTotal: .init(relative: [.p90: 5.0])]
    )
    for proxied in [false, true] {
        Benchmark(
            proxied ? "proxied-keepalive-GET-1KiB" : "direct-keepalive-GET-1KiB",
            closure: { benchmark in
                let client = fixture.client(proxied: proxied)
                for _ in benchmark.scaledIterations {
                    let response = try? await client.roundTrip(request)
                    blackHole(response?.status)
                }
            },
            setup: { try await fixture.start() }
        )
    }
}

extension RawHTTPClient {
    func roundTrip(_ text: String) async throws -> RawResponse {
        try await self.send(text)
        return try await self.readResponse()
    }
}
