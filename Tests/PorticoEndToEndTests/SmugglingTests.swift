import PorticoTesting
import Testing

/// Request-smuggling defence end to end (RFC 9112 §6.1, §6.3, §11.2): every
/// ambiguous request is refused with the right status, the connection is closed,
/// and nothing reaches the origin.
@Suite(.timeLimit(.minutes(1))) struct SmugglingTests {
    static let cases: [(String, Int)] = [
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4, 5\r\n\r\nabcde", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +4\r\n\r\nabcd", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;\u{01}\r\nabc\r\n0\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX-Folded: a\r\n b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX-Space : a\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX-Ctl: a\u{01}b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\n\u{20}X: 1\r\n\r\n", 400),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    ]

    @Test(arguments: Self.cases)
    func ambiguousRequestIsRejected(request: String, status: Int) async throws {
        let origin = try await TestOrigin.start()
        let proxy = try await ProxyFixture.start(origins: [origin])
        let client = try await proxy.connect()
        try await client.send(request)
        let response = try await client.readResponse()
        #expect(response.status == status, "\(request.debugDescription)")
        #expect(await client.waitForClose(timeout: .seconds(5)))
        #expect(origin.requestCount == 0)
        await proxy.stop()
        try await origin.stop()
    }

    @Test func overlongRequestLineIs414AndLargeHeadersAre431() async throws {
        let origin = try await TestOrigin.start()
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.limits.maxRequestLine = 1024
            config.limits.maxHeaderBytes = 2048
        }
        let long = try await proxy.connect()
        let uriTooLong = try await long.roundTrip(get("/" + String(repeating: "a", count: 2000)))
        #expect(uriTooLong.status == 414)
        let big = try await proxy.connect()
        let headersTooLarge = try await big.roundTrip(get("/", extra: "X-Big: \(String(repeating: "b", count: 3000))\r\n"))
        #expect(headersTooLarge.status == 431)
        #expect(origin.requestCount == 0)
        await proxy.stop()
        try await origin.stop()
    }

    @Test func malformedUpstreamResponseBecomes502() async throws {
        let responses = [
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
            "NOT HTTP AT ALL\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-Bad : 1\r\nContent-Length: 0\r\n\r\n",
        ]
        for raw in responses {
            let origin = try await TestOrigin.start { _ in .raw(raw) }
            let proxy = try await ProxyFixture.start(origins: [origin])
            let client = try await proxy.connect()
            let response = try await client.roundTrip(get("/"))
            #expect(response.status == 502, "\(raw.debugDescription)")
            #expect(!response.bodyString.contains("NOT HTTP"))
            await client.close()
            await proxy.stop()
            try await origin.stop()
        }
    }
}
