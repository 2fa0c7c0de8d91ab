import CBrotli
import CZstd
import CompressNIO
import Foundation
import NIOCore
import PorticoCore
import PorticoTesting
import Testing

/// On-the-fly compression end to end: negotiation, the three codings decoding to
/// what the origin sent, the cases that are left alone, and the cache's one stored
/// representation served in each client's coding.
@Suite(.timeLimit(.minutes(2))) struct CompressionEndToEndTests {
    static let page = String(repeating: "<p>Portico compresses text on the fly.</p>\n", count: 400)

    static func startProxy(_ origin: TestOrigin, cache: Bool = false) async throws -> ProxyFixture {
        try await ProxyFixture.start(origins: [origin]) { config in
            config.routes[0].compression = CompressionConfig()
            if cache { config.routes[0].cache = RouteCacheConfig() }
        }
    }

    @Test(arguments: ["gzip", "br", "zstd"])
    func eachCodingDecodesToTheOriginal(_ coding: String) async throws {
        let origin = try await TestOrigin.start { _ in
            .respond(status: 200, headers: [("Content-Type", "text/html; charset=utf-8"), ("ETag", "\"p1\"")], body: Array(Self.page.utf8))
        }
        let proxy = try await Self.startProxy(origin)
        let response = try await proxy.fetch("/", headers: [("Accept-Encoding", coding)])
        #expect(response.status == 200)
        #expect(response.header("content-encoding") == coding)
        #expect(response.header("vary")?.lowercased().contains("accept-encoding") == true)
        #expect(response.header("etag") == "W/\"p1\"")
        #expect(response.header("content-length") == nil)
        #expect(response.bodyByteCount < Self.page.utf8.count / 4)
        let decoded = try decode(response.body, coding: coding, expectedSize: Self.page.utf8.count)
        #expect(decoded == Array(Self.page.utf8))
        await proxy.stop()
        try await origin.stop()
    }

    @Test func negotiationFollowsQValuesAndFallsBackToIdentity() async throws {
        let origin = try await TestOrigin.start { _ in .text(Self.page) }
        let proxy = try await Self.startProxy(origin)
        #expect(try await proxy.fetch("/", headers: [("Accept-Encoding", "gzip;q=0.5, br;q=0.9")]).header("content-encoding") == "br")
        #expect(try await proxy.fetch("/", headers: [("Accept-Encoding", "gzip;q=0, identity")]).header("content-encoding") == nil)
        let plain = try await proxy.fetch("/")
        #expect(plain.header("content-encoding") == nil)
        #expect(plain.bodyString == Self.page)
        #expect(plain.header("vary")?.lowercased().contains("accept-encoding") == true)
        await proxy.stop()
        try await origin.stop()
    }

    @Test func responsesThatMustNotBeCompressedPassUnchanged() async throws {
        let origin = try await TestOrigin.start { request in
            switch request.uri {
            case "/image": return .respond(status: 200, headers: [("Content-Type", "image/png")], body: Array(Self.page.utf8))
            case "/small": return .text("tiny")
            case "/encoded": return .text(Self.page, headers: [("Content-Encoding", "gzip")])
            case "/no-transform": return .text(Self.page, headers: [("Cache-Control", "no-transform")])
            default: return .respond(status: 204, headers: [], body: [])
            }
        }
        let proxy = try await Self.startProxy(origin)
        for path in ["/image", "/small", "/encoded", "/no-transform", "/empty"] {
            let response = try await proxy.fetch(path, headers: [("Accept-Encoding", "gzip, br, zstd")])
            #expect(response.header("content-encoding") == (path == "/encoded" ? "gzip" : nil), "\(path)")
        }
        await proxy.stop()
        try await origin.stop()
    }

    @Test func chunkedOriginBodiesAreCompressedToo() async throws {
        let size = 1 << 20
        let origin = try await TestOrigin.start { _ in .streamBytes(count: size, chunkSize: 16 << 10, chunked: true) }
        let proxy = try await ProxyFixture.start(origins: [origin]) { config in
            config.routes[0].compression = CompressionConfig(types: ["application/octet-stream"])
        }
        let response = try await proxy.fetch("/stream", headers: [("Accept-Encoding", "gzip")])
        #expect(response.header("content-encoding") == "gzip")
        let decoded = try decode(response.body, coding: "gzip", expectedSize: size)
        #expect(decoded == GeneratedBody.bytes(offset: 0, count: size))
        await proxy.stop()
        try await origin.stop()
    }

    @Test func cachedObjectIsServedInEachClientsCodingAndCompressedOnce() async throws {
        let origin = try await ScriptedOrigin.start { _, _ in
            .text(Self.page, headers: [("Cache-Control", "max-age=60")])
        }
        let proxy = try await Self.startProxy(origin.origin, cache: true)
        let identity = try await proxy.fetch("/cached")
        #expect(identity.bodyString == Self.page)
        for coding in ["gzip", "br", "zstd", "gzip"] {
            let response = try await proxy.fetch("/cached", headers: [("Accept-Encoding", coding)])
            #expect(response.header("content-encoding") == coding)
            #expect(response.cacheStatus.contains("hit"))
            #expect(try decode(response.body, coding: coding, expectedSize: Self.page.utf8.count) == Array(Self.page.utf8))
        }
        let plain = try await proxy.fetch("/cached")
        #expect(plain.header("content-encoding") == nil)
        #expect(plain.bodyString == Self.page)
        #expect(origin.hits == 1)
        // One stored original plus one copy per coding.
        let stats = try #require(proxy.server.responseCache?.storage.statistics)
        #expect(stats.entries == 4)
        await proxy.stop()
        try await origin.stop()
    }
}

enum DecodeError: Error { case failed(String) }

/// Decodes a whole compressed body (test helper; sizes are small enough for one shot).
func decode(_ body: [UInt8], coding: String, expectedSize: Int) throws -> [UInt8] {
    switch coding {
    case "gzip":
        var input = ByteBuffer(bytes: body)
        let output = try input.decompress(with: .gzip())
        return Array(output.readableBytesView)
    case "br":
        var size = expectedSize + 1024
        var output = [UInt8](repeating: 0, count: size)
        let result = body.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                BrotliDecoderDecompress(input.count, input.baseAddress, &size, out.baseAddress)
            }
        }
        guard result == BROTLI_DECODER_RESULT_SUCCESS else { throw DecodeError.failed("brotli") }
        return Array(output[0..<size])
    case "zstd":
        var output = [UInt8](repeating: 0, count: expectedSize + 1024)
        let written = body.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                ZSTD_decompress(out.baseAddress, out.count, input.baseAddress, input.count)
            }
        }
        guard ZSTD_isError(written) == 0 else { throw DecodeError.failed("zstd") }
        return Array(output[0..<written])
    default:
        throw DecodeError.failed("unknown coding \(coding)")
    }
}
