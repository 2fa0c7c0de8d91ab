import Foundation
import NIOConcurrencyHelpers
import PorticoCore
import PorticoTesting
import Testing

/// Request ids and W3C Trace Context end to end: what the origin receives, what the
/// client gets back, and what the access log says.
@Suite(.timeLimit(.minutes(1))) struct TracingTests {
    static let incomingTrace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    /// A JSON access log with the tracing fields, read after the proxy stopped.
    struct LogFile {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portico-trace-\(UUID()).log").path
        var config: AccessLogConfig {
            AccessLogConfig(
                destination: .file(self.path), format: .json,
                fields: [.requestID, .traceID, .spanID, .attempts, .status, .listener]
            )
        }

        func objects() throws -> [[String: Any]] {
            let text = try String(contentsOfFile: self.path, encoding: .utf8)
            return try text.split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
        }

        func remove() { try? FileManager.default.removeItem(atPath: self.path) }
    }

    static func parts(_ traceparent: String?) throws -> (version: Substring, trace: Substring, parent: Substring, flags: Substring) {
        let parts = try #require(traceparent?.split(separator: "-"))
        try #require(parts.count == 4)
        return (parts[0], parts[1], parts[2], parts[3])
    }

    @Test func continuesTheClientsTraceAndKeepsItsRequestID() async throws {
        let log = LogFile()
        defer { log.remove() }
        let origin = try await TestOrigin.start { _ in .ok }
        let proxy = try await ProxyFixture.start(origins: [origin]) { $0.accessLog = log.config }
        let client = try await proxy.connect()
        let response = try await client.roundTrip(get("/", extra:
            "X-Request-Id: client-id-42\r\ntraceparent: \(Self.incomingTrace)\r\ntracestate: vendor=abc,other=1\r\n"))
        #expect(response.status == 200)
        #expect(response.header("x-request-id") == "client-id-42")
        await client.close()
        await proxy.stop()

        let seen = try #require(origin.requests().first)
        #expect(seen.headers.values(named: "x-request-id") == ["client-id-42"])
        #expect(seen.headers.values(named: "tracestate") == ["vendor=abc,other=1"])
        #expect(seen.headers.values(named: "traceparent").count == 1)
        let sent = try Self.parts(seen.header("traceparent"))
        #expect(sent.version == "00")
        #expect(sent.trace == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(sent.parent != "00f067aa0ba902b7")  // Portico's span, not the client's
        #expect(sent.parent.count == 16)
        #expect(sent.flags == "01")

        let line = try #require(try log.objects().first)
        #expect(line["request_id"] as? String == "client-id-42")
        #expect(line["trace_id"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(line["span_id"] as? String == String(sent.parent))
        #expect(line["listener"] as? String == "test")
        try await origin.stop()
    }

    /// Each attempt is a span of its own: the first server closes without answering,
    /// the retry goes to the other server with the same trace and a new parent-id.
    @Test func everyAttemptGetsItsOwnSpanID() async throws {
        let log = LogFile()
        defer { log.remove() }
        // The traceparent of the first attempt, which is not answered.
        let failed = NIOLockedValueBox<String?>(nil)
        let behavior: @Sendable (RecordedRequest) -> OriginResponse = { request in
            let first = failed.withLockedValue { seen in
                defer { seen = seen ?? request.header("traceparent") ?? "" }
                return seen == nil
            }
            return first ? .closeBeforeResponse : .ok
        }
        let a = try await TestOrigin.start(behavior: behavior)
        let b = try await TestOrigin.start(behavior: behavior)
        let proxy = try await ProxyFixture.start(origins: [a, b]) { $0.accessLog = log.config }
        let client = try await proxy.connect()
        let response = try await client.roundTrip(get("/", extra: "traceparent: \(Self.incomingTrace)\r\n"))
        #expect(response.status == 200)
        await client.close()
        await proxy.stop()

        let requests = a.requests() + b.requests()
        try #require(requests.count == 2)
        let first = try Self.parts(requests[0].header("traceparent"))
        let second = try Self.parts(requests[1].header("traceparent"))
        #expect(first.trace == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(second.trace == first.trace)
        #expect(first.parent != second.parent)
        #expect(requests[0].header("x-request-id") == requests[1].header("x-request-id"))
        #expect(response.header("x-request-id") == requests[0].header("x-request-id"))

        let line = try #require(try log.objects().first)
        #expect(line["attempts"] as? Int == 2)
        #expect(line["trace_id"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736")
        let failedSpan = try Self.parts(failed.withLockedValue { $0 }).parent
        let retrySpan = failedSpan == first.parent ? second.parent : first.parent
        #expect(line["span_id"] as? String == String(retrySpan))
        try await a.stop()
        try await b.stop()
    }

    /// A dead first server: the connect fails, the second attempt reaches the origin
    /// with the span id the access log names.
    @Test func retryAfterADeadServerLogsTheLastAttemptsSpan() async throws {
        let log = LogFile()
        defer { log.remove() }
        let origin = try await TestOrigin.start { _ in .ok }
        let proxy = try await ProxyFixture.start(origins: []) { config in
            config.accessLog = log.config
            config.upstreams[0].servers = [
                UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: 1)),
                UpstreamServerConfig(address: HostPort(host: "127.0.0.1", port: origin.port)),
            ]
        }
        // Round robin: one of two requests starts on the dead server.
        let client = try await proxy.connect()
        for _ in 0..<2 {
            #expect(try await client.roundTrip(get("/")).status == 200)
        }
        await client.close()
        await proxy.stop()
        let lines = try log.objects()
        let retried = try #require(lines.first { $0["attempts"] as? Int == 2 })
        let spans = try origin.requests().map { try String(Self.parts($0.header("traceparent")).parent) }
        #expect(spans.count == 2)
        #expect(Set(spans).count == 2)
        #expect(spans.contains(retried["span_id"] as? String ?? ""))
        try await origin.stop()
    }

    @Test func startsATraceWhenTheClientSentNone() async throws {
        let origin = try await TestOrigin.start { _ in .ok }
        let proxy = try await ProxyFixture.start(origins: [origin])
        let client = try await proxy.connect()
        // An invalid traceparent (upper case) restarts the trace; its tracestate is dropped.
        let bad = Self.incomingTrace.uppercased()
        #expect(try await client.roundTrip(get("/", extra: "traceparent: \(bad)\r\ntracestate: a=1\r\n")).status == 200)
        #expect(try await client.roundTrip(get("/")).status == 200)
        await client.close()
        await proxy.stop()
        let requests = origin.requests()
        try #require(requests.count == 2)
        let first = try Self.parts(requests[0].header("traceparent"))
        let second = try Self.parts(requests[1].header("traceparent"))
        #expect(requests[0].header("tracestate") == nil)
        #expect(first.trace.count == 32 && first.trace != "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(first.trace != second.trace)
        #expect(first.flags == "00")  // new traces are not sampled unless configured
        #expect(TraceContext.parse(requests[0].header("traceparent") ?? "") != nil)
        try await origin.stop()
    }

    @Test func propagationCanBeTurnedOff() async throws {
        let origin = try await TestOrigin.start { _ in .ok }
        let proxy = try await ProxyFixture.start(origins: [origin]) { $0.traceContext.enabled = false }
        let client = try await proxy.connect()
        #expect(try await client.roundTrip(get("/", extra: "traceparent: \(Self.incomingTrace)\r\ntracestate: a=1\r\n")).status == 200)
        #expect(try await client.roundTrip(get("/")).status == 200)
        await client.close()
        await proxy.stop()
        let requests = origin.requests()
        #expect(requests[0].header("traceparent") == Self.incomingTrace)
        #expect(requests[0].header("tracestate") == "a=1")
        #expect(requests[1].header("traceparent") == nil)
        try await origin.stop()
    }

    @Test(arguments: [true, false])
    func incomingRequestIDIsHonouredOrRefusedByConfig(accept: Bool) async throws {
        let origin = try await TestOrigin.start { _ in .ok }
        let proxy = try await ProxyFixture.start(origins: [origin]) { $0.requestID.acceptIncoming = accept }
        let client = try await proxy.connect()
        let response = try await client.roundTrip(get("/", extra: "X-Request-ID: from-the-client\r\n"))
        // Malformed ids are never used: too long, or with a space.
        let long = String(repeating: "a", count: 201)
        let tooLong = try await client.roundTrip(get("/", extra: "X-Request-ID: \(long)\r\n"))
        let spaced = try await client.roundTrip(get("/", extra: "X-Request-ID: a b\r\n"))
        await client.close()
        await proxy.stop()
        let seen = origin.requests().map { $0.headers.values(named: "x-request-id") }
        try #require(seen.count == 3)
        if accept {
            #expect(seen[0] == ["from-the-client"])
            #expect(response.header("x-request-id") == "from-the-client")
        } else {
            #expect(seen[0].count == 1 && seen[0][0].count == 16 && seen[0][0] != "from-the-client")
            #expect(response.header("x-request-id") == seen[0][0])
        }
        #expect(seen[1].count == 1 && seen[1][0].count == 16)
        #expect(tooLong.header("x-request-id") == seen[1][0])
        #expect(seen[2].count == 1 && seen[2][0].count == 16)
        #expect(spaced.header("x-request-id") == seen[2][0])
        try await origin.stop()
    }

    @Test func responseHeaderOnErrorsOnly() async throws {
        let origin = try await TestOrigin.start { _ in .ok }
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.requestID.responseHeader = .errors
            config.routes.insert(RouteConfig(name: "nope", match: RouteMatch(pathPrefix: "/nope"), action: .respond(status: 404, body: "no", contentType: "text/plain")), at: 0)
        }
        let client = try await proxy.connect()
        let ok = try await client.roundTrip(get("/"))
        let missing = try await client.roundTrip(get("/nope", extra: "X-Request-ID: abc\r\n"))
        await client.close()
        await proxy.stop()
        #expect(ok.header("x-request-id") == nil)
        #expect(origin.requests().first?.header("x-request-id")?.count == 16)  // still sent upstream
        #expect(missing.status == 404)
        #expect(missing.header("x-request-id") == "abc")
        try await origin.stop()
    }

    /// A listener's own layout overrides the global one (the destination stays global).
    @Test func perListenerFormat() async throws {
        let log = LogFile()
        defer { log.remove() }
        let origin = try await TestOrigin.start { _ in .ok }
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.accessLog = AccessLogConfig(destination: .file(log.path), format: .text)
            config.listeners[0].accessLog = ListenerAccessLogConfig(format: .json, fields: [.status, .requestID, .traceID])
        }
        let client = try await proxy.connect()
        #expect(try await client.roundTrip(get("/", extra: "X-Request-ID: r1\r\ntraceparent: \(Self.incomingTrace)\r\n")).status == 200)
        await client.close()
        await proxy.stop()
        let text = try String(contentsOfFile: log.path, encoding: .utf8)
        #expect(text == "{\"status\":200,\"request_id\":\"r1\",\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}\n")
        try await origin.stop()
    }
}
