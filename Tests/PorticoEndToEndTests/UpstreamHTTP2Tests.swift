import NIOCore
import NIOSSL
import PorticoCore
import PorticoTesting
import Testing

/// `protocol: h2` upstreams (h2c and h2 over TLS): requests become streams multiplexed
/// over few connections; a gRPC-style bidirectional stream with trailers passes
/// through to an HTTP/1.1 chunked client.
@Suite(.timeLimit(.minutes(1))) struct UpstreamHTTP2Tests {
    static func group(port: Int, tls: UpstreamTLSConfig? = nil) -> UpstreamGroupConfig {
        var group = UpstreamGroupConfig(name: "origin", servers: [UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: port))])
        group.upstreamProtocol = .h2
        group.tls = tls
        return group
    }

    @Test func getOverH2CMapsTheRequest() async throws {
        let origin = try await HTTP2TestOrigin.start()
        let proxy = try await startProxy(group: Self.group(port: origin.port))
        let client = try await proxy.connect()
        let response = try await client.roundTrip(get("/hello?x=1", host: "api.example.test", extra: "Connection: keep-alive\r\nX-Custom: yes\r\n"))
        #expect(response.status == 200, "\(response)")
        #expect(response.bodyString == "h2 GET /hello?x=1")
        #expect(response.header("x-seen-te") == "trailers")
        #expect(response.header("x-seen-scheme") == "http")
        #expect(response.header("x-seen-authority")?.isEmpty == false)
        let fields = try #require(origin.requests().first)
        #expect(fields.contains { $0.0 == "x-custom" && $0.1 == "yes" })
        #expect(!fields.contains { ["connection", "keep-alive", "host", "transfer-encoding"].contains($0.0) })
        // A second request on the same client connection opens a second stream, same connection.
        #expect(try await client.roundTrip(get("/again")).status == 200)
        #expect(origin.connectionCount == 1)
        #expect(origin.streamCount == 2)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func postBodyIsStreamedAndTheResponseIsChunked() async throws {
        let origin = try await HTTP2TestOrigin.start()
        let proxy = try await startProxy(group: Self.group(port: origin.port))
        let client = try await proxy.connect()
        let body = String(repeating: "abcdefgh", count: 4096)
        let response = try await client.roundTrip(
            "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        )
        #expect(response.status == 200)
        #expect(response.framing == .chunked)
        #expect(response.bodyString == body)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func concurrentRequestsAreMultiplexedOverFewConnections() async throws {
        let origin = try await HTTP2TestOrigin.start()
        let proxy = try await startProxy(group: Self.group(port: origin.port))
        let count = 40
        let statuses = try await withThrowingTaskGroup(of: Int.self) { tasks in
            for index in 0..<count {
                tasks.addTask {
                    let client = try await proxy.connect()
                    defer { Task { await client.close() } }
                    return try await client.roundTrip(get("/slow/\(index)")).status
                }
            }
            var statuses: [Int] = []
            for try await status in tasks { statuses.append(status) }
            return statuses
        }
        #expect(statuses == Array(repeating: 200, count: count))
        #expect(origin.streamCount == count)
        // One connection per worker (2) at most: the origin allows 100 streams each.
        #expect(origin.connectionCount <= 2, "connections: \(origin.connectionCount)")
        await proxy.stop()
        try await origin.stop()
    }

    @Test func aFullConnectionMakesPorticoOpenAnother() async throws {
        let origin = try await HTTP2TestOrigin.start(maxConcurrentStreams: 1)
        let proxy = try await startProxy(group: Self.group(port: origin.port))
        // Learn the limit first (SETTINGS arrive with the first connection).
        let first = try await proxy.connect()
        #expect(try await first.roundTrip(get("/")).status == 200)
        await first.close()
        let statuses = try await withThrowingTaskGroup(of: Int.self) { tasks in
            for index in 0..<6 {
                tasks.addTask {
                    let client = try await proxy.connect()
                    defer { Task { await client.close() } }
                    return try await client.roundTrip(get("/slow/\(index)")).status
                }
            }
            var statuses: [Int] = []
            for try await status in tasks { statuses.append(status) }
            return statuses
        }
        #expect(statuses == Array(repeating: 200, count: 6))
        #expect(origin.connectionCount > 2, "connections: \(origin.connectionCount)")
        await proxy.stop()
        try await origin.stop()
    }

    @Test func afterGoAwayNewRequestsUseANewConnection() async throws {
        let origin = try await HTTP2TestOrigin.start()
        // A request that races the GOAWAY may go unanswered on the old connection (see
        // docs/upstream-tls-and-h2.md, Limits); a short header timeout bounds it.
        let proxy = try await startProxy(group: Self.group(port: origin.port)) { $0.timeouts.upstreamHeader = .seconds(2) }
        let client = try await proxy.connect()
        #expect(try await client.roundTrip(get("/one")).status == 200)
        #expect(origin.connectionCount == 1)
        origin.goAwayAll()
        // The GOAWAY reaches Portico asynchronously; until then a request may still use
        // the old connection (whose streams below last-stream-id are served).
        var statuses: [Int] = []
        let moved = await eventually(timeout: .seconds(10)) {
            let status = (try? await client.roundTrip(get("/two"), timeout: .seconds(5)).status) ?? -1
            statuses.append(status)
            return status == 200 && origin.connectionCount == 2
        }
        #expect(moved, "statuses: \(statuses), connections: \(origin.connectionCount)")
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func grpcStyleBidirectionalStreamWithTrailersThroughAChunkedClient() async throws {
        let origin = try await HTTP2TestOrigin.start()
        let proxy = try await startProxy(group: Self.group(port: origin.port))
        let client = try await proxy.connect()
        try await client.send(
            "POST /grpc.Echo/Stream HTTP/1.1\r\nHost: grpc.test\r\nContent-Type: application/grpc\r\nTE: trailers\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        let head = try await client.readUntil("\r\n\r\n")
        #expect(head.hasPrefix("HTTP/1.1 200"), "\(head)")
        #expect(head.lowercased().contains("transfer-encoding: chunked"))
        for index in 1...3 {
            // Each message is sent only after the previous echo arrived: both directions stream.
            try await client.send(Self.chunk(Self.grpcMessage("ping-\(index)")))
            let echoed = try await client.readUntil("ping-\(index)")
            #expect(echoed.contains("ping-\(index)"))
        }
        try await client.send("0\r\n\r\n")
        let tail = try await client.readUntil("\r\n\r\n")
        #expect(tail.contains("grpc-status: 0"), "\(tail.debugDescription)")
        #expect(tail.contains("grpc-message: ok"), "\(tail.debugDescription)")
        // The client connection stays usable.
        #expect(try await client.roundTrip(get("/after")).status == 200)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func h2OverTLSNegotiatesALPN() async throws {
        let material = try UpstreamTLSMaterial()
        defer { material.remove() }
        let origin = try await HTTP2TestOrigin.start(tls: try material.serverContext(alpn: ["h2"]))
        let proxy = try await startProxy(group: Self.group(port: origin.port, tls: UpstreamTLSConfig(caFile: material.caPath)))
        let client = try await proxy.connect()
        let response = try await client.roundTrip(get("/secure"))
        #expect(response.status == 200, "\(response)")
        #expect(response.header("x-seen-scheme") == "https")
        #expect(try await client.roundTrip(get("/secure2")).status == 200)
        #expect(origin.connectionCount == 1)
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func refusedStreamIsRetriedLikeAConnectFailure() async throws {
        let origin = try await HTTP2TestOrigin.start()
        var group = Self.group(port: origin.port)
        group.retries.maxAttempts = 2
        let proxy = try await startProxy(group: group)
        let client = try await proxy.connect()
        // REFUSED_STREAM means the request was not processed (RFC 9113 §8.7), so it counts
        // as a connect failure: with no other server to try, that is a 503 ("no upstream
        // server could be reached"), not the 502 of a server that failed mid-request.
        let response = try await client.roundTrip("POST /refuse HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")
        #expect(response.status == 503, "\(response)")
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    /// A gRPC length-prefixed message (RFC-less, gRPC over HTTP/2 spec): flag, length, bytes.
    static func grpcMessage(_ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        let length = UInt32(payload.count)
        return [0, UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)] + payload
    }

    static func chunk(_ bytes: [UInt8]) -> [UInt8] {
        Array(String(bytes.count, radix: 16).utf8) + [13, 10] + bytes + [13, 10]
    }
}
