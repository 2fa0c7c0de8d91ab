import Foundation
import PorticoCore
import PorticoTesting
import Synchronization

/// An origin whose answers tests script per request, counting what it served.
struct ScriptedOrigin: Sendable {
    let origin: TestOrigin

    /// `answer(n, request)` is called with the 1-based number of the request.
    static func start(_ answer: @escaping @Sendable (Int, RecordedRequest) -> OriginResponse) async throws -> ScriptedOrigin {
        let box = ScriptBox(answer)
        return ScriptedOrigin(origin: try await TestOrigin.start { request in box.next(request) })
    }

    var hits: Int { self.origin.requestCount }
    func requests() -> [RecordedRequest] { self.origin.requests() }
    func stop() async throws { try await self.origin.stop() }
}

private final class ScriptBox: Sendable {
    private let state: Mutex<Int> = Mutex(0)
    private let answer: @Sendable (Int, RecordedRequest) -> OriginResponse

    init(_ answer: @escaping @Sendable (Int, RecordedRequest) -> OriginResponse) {
        self.answer = answer
    }

    func next(_ request: RecordedRequest) -> OriginResponse {
        let n = self.state.withLock { count in
            count += 1
            return count
        }
        return self.answer(n, request)
    }
}

/// A proxy whose catch-all route caches (and optionally compresses).
func startCachingProxy(
    _ origins: [TestOrigin],
    cache: RouteCacheConfig = RouteCacheConfig(),
    storage: CacheStorageConfig = CacheStorageConfig(),
    compression: CompressionConfig? = nil
) async throws -> ProxyFixture {
    try await ProxyFixture.start(origins: origins) { config in
        config.cache = storage
        config.routes[0].cache = cache
        config.routes[0].compression = compression
    }
}

extension ProxyFixture {
    /// One GET on a fresh connection.
    func fetch(_ path: String, headers: [(String, String)] = [], method: String = "GET") async throws -> RawResponse {
        let client = try await self.connect()
        defer { Task { await client.close() } }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: example.test\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        if method == "POST" { request += "Content-Length: 0\r\n" }
        request += "\r\n"
        return try await client.roundTrip(request, head: method == "HEAD")
    }
}

/// The Cache-Status member Portico added, or "".
extension RawResponse {
    var cacheStatus: String { self.header("cache-status") ?? "" }
}
