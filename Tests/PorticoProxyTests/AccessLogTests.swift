import Foundation
import NIOCore
import PorticoCore
import Testing

@testable import PorticoProxy

/// Access-log layouts (built-in and selected fields) and the bounded writer.
@Suite("Access log")
struct AccessLogTests {
    static let trace = TraceContext(
        traceIDHigh: 0x4bf9_2f35_77b3_4da6, traceIDLow: 0xa3ce_929d_0e0e_4736, parentID: 0x00f0_67aa_0ba9_02b7, flags: 1
    )

    static func record(
        requestID: RequestIdentifier = .generated(RequestID(rawValue: 0xABC)),
        trace: TraceContext? = nil,
        userAgent: String = "tester/1 (x)",
        upstream: Bool = true
    ) -> AccessLogRecord {
        AccessLogRecord(
            timestamp: 1_700_000_000, client: "192.0.2.1", method: "GET", target: "/a?b=1", version: "HTTP/1.1",
            host: "example.test", status: 200, bytesSent: 5, duration: .milliseconds(12),
            upstreamAddress: upstream ? "127.0.0.1:9001" : nil, upstreamDuration: upstream ? .milliseconds(3) : nil,
            upstreamGroup: upstream ? "api" : nil, attempts: upstream ? 2 : 0,
            requestID: requestID, trace: trace, route: "r 1", userAgent: userAgent, referer: "", listener: "public"
        )
    }

    static func line(_ record: AccessLogRecord, _ layout: AccessLogLayout) -> String {
        var formatter = AccessLogFormatter()
        var buffer = ByteBuffer()
        formatter.append(record, layout: layout, to: &buffer)
        return String(buffer: buffer)
    }

    /// Without `fields`, the built-in layouts are unchanged (tools parse them).
    @Test func builtInLayoutsAreUnchanged() {
        let text = Self.line(Self.record(trace: Self.trace), AccessLogLayout(format: .text))
        #expect(text == "192.0.2.1 - - [14/Nov/2023:22:13:20 +0000] \"GET /a?b=1 HTTP/1.1\" 200 5 \"-\" \"tester/1 (x)\" "
            + "rt=0.012 ua=127.0.0.1:9001 ut=0.003 up=api att=2 rid=0000000000000abc route=r 1 host=example.test\n")
        let json = Self.line(Self.record(trace: Self.trace), AccessLogLayout(format: .json))
        #expect(json == "{\"time\":\"2023-11-14T22:13:20Z\",\"client\":\"192.0.2.1\",\"method\":\"GET\",\"target\":\"/a?b=1\","
            + "\"protocol\":\"HTTP/1.1\",\"host\":\"example.test\",\"status\":200,\"bytes_sent\":5,\"duration\":0.012,"
            + "\"upstream\":\"127.0.0.1:9001\",\"upstream_duration\":0.003,\"upstream_group\":\"api\",\"attempts\":2,"
            + "\"request_id\":\"0000000000000abc\",\"route\":\"r 1\",\"user_agent\":\"tester/1 (x)\",\"referer\":\"\"}\n")
    }

    @Test func selectedFieldsAsText() {
        let fields: [AccessLogField] = [.time, .client, .requestID, .traceID, .spanID, .status, .userAgent, .referer, .route, .upstreamAddr]
        let text = Self.line(Self.record(trace: Self.trace), AccessLogLayout(format: .text, fields: fields))
        #expect(text == "[14/Nov/2023:22:13:20 +0000] 192.0.2.1 0000000000000abc 4bf92f3577b34da6a3ce929d0e0e4736 "
            + "00f067aa0ba902b7 200 \"tester/1 (x)\" \"-\" \"r 1\" 127.0.0.1:9001\n")
        let local = Self.line(Self.record(upstream: false), AccessLogLayout(format: .text, fields: [.upstreamAddr, .upstreamDuration, .traceID, .spanID, .attempts]))
        #expect(local == "- - - - 0\n")
    }

    @Test func selectedFieldsAsJSON() throws {
        let layout = AccessLogLayout(format: .json, fields: AccessLogField.allCases)
        let line = Self.line(Self.record(requestID: .received("abc\"d"), trace: Self.trace), layout)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(Set(object.keys) == Set(AccessLogField.names))
        #expect(object["request_id"] as? String == "abc\"d")
        #expect(object["trace_id"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(object["span_id"] as? String == "00f067aa0ba902b7")
        #expect(object["status"] as? Int == 200)
        #expect(object["listener"] as? String == "public")
        #expect(object["upstream_addr"] as? String == "127.0.0.1:9001")
        // Keys in the configured order.
        let order = [AccessLogField.status, .client, .time]
        let ordered = Self.line(Self.record(upstream: false), AccessLogLayout(format: .json, fields: order + [.upstreamAddr, .traceID]))
        #expect(ordered == "{\"status\":200,\"client\":\"192.0.2.1\",\"time\":\"2023-11-14T22:13:20Z\",\"upstream_addr\":null,\"trace_id\":null}\n")
    }

    @Test func clientTextCannotForgeLines() {
        let text = Self.line(Self.record(userAgent: "a\"b\nc"), AccessLogLayout(format: .text, fields: [.userAgent]))
        #expect(text == "\"a\\x22b\\x0ac\"\n")
        let received = Self.line(Self.record(requestID: .received("x\"y")), AccessLogLayout(format: .text))
        #expect(received.contains(" rid=x\\x22y "))
    }

    // MARK: Bounded writer

    /// A destination that stops reading (a pipe nobody drains): batches beyond
    /// `buffer_limit` are dropped and counted, `write` never blocks, and what was
    /// accepted arrives intact once the reader catches up.
    @Test(.timeLimit(.minutes(1)))
    func stalledDestinationDropsBatchesInsteadOfBlocking() async throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { close(readEnd) }
        let writer = AccessLogWriter(descriptor: writeEnd, bufferLimit: 256 * 1024)
        let batch = ByteBuffer(repeating: UInt8(ascii: "x"), count: 32 * 1024)
        let start = ContinuousClock.now
        for _ in 0..<100 {
            writer.write(batch, lines: 10)  // never blocks: the pipe holds 64 KiB at most
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .seconds(5), "write blocked for \(elapsed)")
        #expect(writer.droppedBatches > 50)
        #expect(writer.droppedLines == writer.droppedBatches * 10)
        #expect(writer.pendingBytes <= 256 * 1024 + 32 * 1024)
        let accepted = 100 - writer.droppedBatches

        // The reader catches up: everything accepted arrives.
        let expected = accepted * 32 * 1024
        let received = await Task.detached { () -> Int in
            var total = 0
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            while total < expected {
                let count = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                total += count
            }
            return total
        }.value
        writer.drain()
        #expect(received == expected)
        #expect(writer.pendingBytes == 0)

        // Drained: batches are accepted again.
        let droppedBefore = writer.droppedBatches
        writer.write(ByteBuffer(string: "again\n"), lines: 1)
        writer.drain()
        #expect(writer.droppedBatches == droppedBefore)
        var chunk = [UInt8](repeating: 0, count: 16)
        let count = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
        #expect(count == 6)
        close(writeEnd)
    }

    @Test func aBatchLargerThanTheLimitPassesWhenNothingWaits() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let writer = AccessLogWriter(descriptor: fds[1], bufferLimit: 10)
        writer.write(ByteBuffer(string: "one line that is longer than ten bytes\n"), lines: 1)
        writer.drain()
        #expect(writer.droppedLines == 0)
        var chunk = [UInt8](repeating: 0, count: 100)
        let count = chunk.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
        #expect(count == 39)
    }
}
