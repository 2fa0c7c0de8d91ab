import Foundation
import NIOPosix
import PorticoServer
import PorticoTesting
import Testing

/// Exercises `TestOrigin` directly with `RawHTTPClient` (no proxy in between).
@Suite struct TestingSupportTests {
    @Test(.timeLimit(.minutes(1)))
    func keepAliveReusesOneConnection() async throws {
        let origin = try await TestOrigin.start()
        let client = try await RawHTTPClient.connect(port: origin.port)
        for path in ["/a", "/b", "/c"] {
            try await client.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyString == "ok")
            #expect(response.framing == .contentLength)
        }
        #expect(origin.requests().map(\.uri) == ["/a", "/b", "/c"])
        #expect(origin.requests().map(\.connectionID) == [0, 0, 0])
        #expect(origin.requests().map(\.indexOnConnection) == [0, 1, 2])
        #expect(origin.connectionCount == 1)
        await client.close()
        try await origin.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func pipelinedRequestsAnsweredInOrder() async throws {
        let origin = try await TestOrigin.start { request in
            request.uri == "/first" ? .delayHead(.milliseconds(100), then: .text("one")) : .text("two")
        }
        let client = try await RawHTTPClient.connect(port: origin.port)
        try await client.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n")
        let first = try await client.readResponse()
        let second = try await client.readResponse()
        #expect(first.bodyString == "one")
        #expect(second.bodyString == "two")
        #expect(origin.connectionCount == 1)
        await client.close()
        try await origin.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func chunkedUploadWithTrailersIsRecorded() async throws {
        let origin = try await TestOrigin.start { _ in .echo }
        let client = try await RawHTTPClient.connect(port: origin.port)
        try await client.send(
            "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n"
        )
        let response = try await client.readResponse()
        let echo = try JSONDecoder().decode(EchoPayload.self, from: Data(response.body))
        #expect(echo.method == "POST")
        #expect(echo.body == "hello world")
        #expect(echo.header("transfer-encoding") == "chunked")
        let recorded = try #require(origin.requests().first)
        #expect(recorded.bodyDigest == BodyDigest.of(Array("hello world".utf8)))
        #expect(recorded.trailers == [HeaderField("X-Sum", "42")])
        await client.close()
        try await origin.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func expectContinueGetsInterimResponse() async throws {
        let origin = try await TestOrigin.start()
        let client = try await RawHTTPClient.connect(port: origin.port)
        try await client.send("PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        let interim = try await client.readResponse(returnInformational: true)
        #expect(interim.status == 100)
        #expect(origin.requestCount == 0)
        try await client.send("data")
        let final = try await client.readResponse()
        #expect(final.status == 200)
        #expect(origin.requests().first?.bodyString == "data")
        await client.close()
        try await origin.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func headHasNoBodyAndTimeoutIsReported() async throws {
        let origin = try await TestOrigin.start { _ in .delayHead(.seconds(30), then: .ok) }
        let client = try await RawHTTPClient.connect(port: origin.port)
        try await client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        await #expect(throws: RawHTTPClientError.self) {
            try await client.readResponse(timeout: .milliseconds(200))
        }
        await client.close()
        try await origin.stop()

        let plain = try await TestOrigin.start()
        let second = try await RawHTTPClient.connect(port: plain.port)
        try await second.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let head = try await second.readResponse(requestWasHead: true)
        #expect(head.header("content-length") == "2")
        #expect(head.body.isEmpty)
        #expect(try await second.readResponse().bodyString == "ok")
        await second.close()
        try await plain.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func closeMidBodyIsDetected() async throws {
        let origin = try await TestOrigin.start { _ in .closeMidBody(declaredLength: 1000, sentBytes: 300) }
        let client = try await RawHTTPClient.connect(port: origin.port)
        try await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await #expect(throws: RawHTTPClientError.closedBeforeResponseComplete(status: 200, bodyBytesReceived: 300, bufferedBytes: 0)) {
            try await client.readResponse()
        }
        #expect(await client.waitForClose())
        try await origin.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func rawBytesAreWrittenVerbatim() async throws {
        let raw = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"
        let origin = try await TestOrigin.start { _ in .raw(raw) }
        let client = try await RawHTTPClient.connect(port: origin.port)
        try await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await client.readUntilClose() == Array(raw.utf8))
        #expect(client.isClosed)
        try await origin.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func closeAndResetBeforeResponse() async throws {
        for behavior in [OriginResponse.closeBeforeResponse, .resetBeforeResponse] {
            let origin = try await TestOrigin.start { _ in behavior }
            let client = try await RawHTTPClient.connect(port: origin.port)
            try await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.readUntilClose().isEmpty)
            #expect(origin.requestCount == 1)
            try await origin.stop()
        }
    }

    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func streamedBodyArrivesIntact(chunked: Bool) async throws {
        let count = 64 << 20
        let origin = try await TestOrigin.start { _ in .streamBytes(count: count, chunkSize: 16_384, chunked: chunked) }
        let client = try await RawHTTPClient.connect(port: origin.port, maxRetainedBodyBytes: 1024)
        try await client.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try await client.readResponse(timeout: .seconds(50))
        #expect(response.framing == (chunked ? .chunked : .contentLength))
        #expect(response.bodyDigest == GeneratedBody.digest(count: count))
        #expect(response.body == GeneratedBody.bytes(count: 1024))
        await client.close()
        try await origin.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func largeUploadIsCountedNotStored() async throws {
        let origin = try await TestOrigin.start()
        let client = try await RawHTTPClient.connect(port: origin.port)
        let count = 8 << 20
        try await client.send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: \(count)\r\n\r\n")
        let chunk = GeneratedBody.bytes(count: 1 << 20)
        for _ in 0..<8 { try await client.send(chunk) }
        #expect(try await client.readResponse().status == 200)
        let recorded = try #require(origin.requests().first)
        #expect(recorded.bodyDigest == GeneratedBody.digest(count: count))
        #expect(recorded.body.count == TestOrigin.maxRetainedBodyBytes)
        await client.close()
        try await origin.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func httpTestClientReusesConnection() async throws {
        let origin = try await TestOrigin.start { _ in .echo }
        let client = HTTPTestClient(port: origin.port)
        let first = try await client.get("/one", headers: [("X-Test", "1")])
        let second = try await client.request(method: "POST", path: "/two", body: Array("abc".utf8))
        #expect(first.status == 200 && second.status == 200)
        #expect(try JSONDecoder().decode(EchoPayload.self, from: Data(second.body)).body == "abc")
        #expect(origin.requests().first?.header("x-test") == "1")
        #expect(await client.connectionsOpened == 1)
        await client.close()
        let oneShot = try await HTTPTestClient.get("http://\(origin.address)/three")
        #expect(oneShot.status == 200)
        #expect(origin.connectionCount == 2)
        try await origin.stop()
    }
}

/// Smoke tests of the demo origin used by `portico demo`.
@Suite struct DemoOriginTests {
    @Test(.timeLimit(.minutes(1)))
    func routes() async throws {
        let demo = try await DemoOrigin.start(name: "alpha", group: MultiThreadedEventLoopGroup.singleton)
        let client = HTTPTestClient(port: demo.port)
        let hello = try await client.get("/", headers: [("X-Forwarded-For", "10.0.0.1")])
        #expect(hello.bodyString.contains("Hello from alpha"))
        #expect(hello.bodyString.contains("X-Forwarded-For: 10.0.0.1"))
        #expect(try await client.get("/healthz").bodyString == "ok\n")
        #expect(try await client.get("/status/503").status == 503)
        #expect(try await client.get("/status/204").body.isEmpty)
        #expect(try await client.get("/nope").status == 404)
        #expect(try await client.get("/slow?ms=50").status == 200)
        let bytes = try await client.get("/bytes?n=3000000")
        #expect(bytes.bodyByteCount == 3_000_000)
        #expect(try await client.get("/bytes?n=0").bodyByteCount == 0)
        let echo = try await client.request(method: "POST", path: "/echo", body: Array("round trip".utf8))
        #expect(echo.bodyString == "round trip")
        #expect(await client.connectionsOpened == 1)
        await client.close()
        try await demo.stop()
    }
}
