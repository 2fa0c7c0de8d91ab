import PorticoTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Bodies stream in both directions without being buffered: a 256 MiB download and
/// upload pass while the test process's resident memory (proxy, origin and client
/// together) grows by far less than the body. The 1 GiB figure for the release binary
/// is measured by `Benchmarks/stream-memory.sh`.
@Suite(.serialized, .timeLimit(.minutes(3))) struct StreamingTests {
    static let size = 256 << 20

    @Test func largeDownloadStreams() async throws {
        let origin = try await TestOrigin.start { _ in .streamBytes(count: Self.size, chunkSize: 64 << 10, chunked: false) }
        let proxy = try await ProxyFixture.start(origins: [origin])
        let before = residentBytes()
        let client = try await RawHTTPClient.connect(port: proxy.port, maxRetainedBodyBytes: 0)
        let response = try await client.roundTrip(get("/big"), timeout: .seconds(150))
        #expect(response.status == 200)
        #expect(response.bodyDigest == GeneratedBody.digest(count: Self.size))
        let growth = residentBytes() - before
        #expect(growth < 100 << 20, "resident memory grew by \(growth >> 20) MiB")
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func largeChunkedDownloadIsRechunked() async throws {
        let size = 32 << 20
        let origin = try await TestOrigin.start { _ in .streamBytes(count: size, chunkSize: 16 << 10, chunked: true) }
        let proxy = try await ProxyFixture.start(origins: [origin])
        let client = try await RawHTTPClient.connect(port: proxy.port, maxRetainedBodyBytes: 0)
        let response = try await client.roundTrip(get("/big"), timeout: .seconds(60))
        #expect(response.framing == .chunked)
        #expect(response.bodyDigest == GeneratedBody.digest(count: size))
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func largeUploadStreams() async throws {
        let origin = try await TestOrigin.start { _ in .ok }
        let proxy = try await ProxyFixture.start(origins: [origin])
        let before = residentBytes()
        let client = try await proxy.connect()
        try await client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: \(Self.size)\r\n\r\n")
        // Byte i of the generated body is i & 0xFF, so every 1 MiB chunk is the same;
        // generating it once keeps the test about the proxy, not the generator.
        let chunk = GeneratedBody.bytes(offset: 0, count: 1 << 20)
        for _ in stride(from: 0, to: Self.size, by: chunk.count) {
            try await client.send(chunk)
        }
        let response = try await client.readResponse(timeout: .seconds(150))
        #expect(response.status == 200)
        let seen = try #require(origin.requests().first)
        #expect(seen.bodyDigest == GeneratedBody.digest(count: Self.size))
        let growth = residentBytes() - before
        #expect(growth < 100 << 20, "resident memory grew by \(growth >> 20) MiB")
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }
}

/// Current resident set size of this process, from /proc/self/statm.
func residentBytes() -> Int {
    guard let file = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(file) }
    var line = [UInt8](repeating: 0, count: 128)
    let read = fread(&line, 1, line.count, file)
    let fields = String(decoding: line[..<read], as: UTF8.self).split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
