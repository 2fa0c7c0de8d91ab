import Foundation
import PorticoCore
import PorticoTesting
import Testing

/// The shared cache end to end (RFC 9111), against a scripted origin and its counter.
@Suite(.timeLimit(.minutes(1))) struct CachingTests {
    @Test func freshResponseIsServedFromCacheWithAge() async throws {
        let origin = try await ScriptedOrigin.start { n, _ in
            .text("version \(n)", headers: [("Cache-Control", "max-age=60")])
        }
        let proxy = try await startCachingProxy([origin.origin])
        let first = try await proxy.fetch("/page")
        #expect(first.bodyString == "version 1")
        #expect(first.cacheStatus.contains("fwd=uri-miss"))
        let second = try await proxy.fetch("/page")
        #expect(second.status == 200)
        #expect(second.bodyString == "version 1")
        #expect(second.header("age") != nil)
        #expect(second.cacheStatus.contains("hit"))
        #expect(origin.hits == 1)
        // Another target is another entry.
        _ = try await proxy.fetch("/page?x=1")
        #expect(origin.hits == 2)
        await proxy.stop()
        try await origin.stop()
    }

    @Test func staleEntryIsRevalidatedWith304() async throws {
        let origin = try await ScriptedOrigin.start { n, request in
            if n > 1, request.header("if-none-match") == "\"v1\"" {
                return .respond(status: 304, headers: [("ETag", "\"v1\""), ("Cache-Control", "max-age=0"), ("X-Refreshed", "yes")], body: [])
            }
            return .text("body one", headers: [("Cache-Control", "max-age=0"), ("ETag", "\"v1\"")])
        }
        let proxy = try await startCachingProxy([origin.origin])
        _ = try await proxy.fetch("/doc")
        let second = try await proxy.fetch("/doc")
        #expect(second.status == 200)
        #expect(second.bodyString == "body one")
        #expect(second.header("x-refreshed") == "yes")  // §3.2: the 304's fields update the stored ones
        #expect(second.cacheStatus.contains("fwd=stale"))
        #expect(second.cacheStatus.contains("fwd-status=304"))
        #expect(origin.hits == 2)
        #expect(origin.requests()[1].header("if-none-match") == "\"v1\"")
        await proxy.stop()
        try await origin.stop()
    }

    @Test func varyKeepsOneVariantPerRequestValue() async throws {
        let origin = try await ScriptedOrigin.start { _, request in
            .text("lang=\(request.header("accept-language") ?? "none")",
                  headers: [("Cache-Control", "max-age=60"), ("Vary", "Accept-Language")])
        }
        let proxy = try await startCachingProxy([origin.origin])
        #expect(try await proxy.fetch("/v", headers: [("Accept-Language", "en")]).bodyString == "lang=en")
        #expect(try await proxy.fetch("/v", headers: [("Accept-Language", "fr")]).bodyString == "lang=fr")
        let again = try await proxy.fetch("/v", headers: [("Accept-Language", "en")])
        #expect(again.bodyString == "lang=en")
        #expect(again.cacheStatus.contains("hit"))
        #expect(origin.hits == 2)
        await proxy.stop()
        try await origin.stop()
    }

    @Test(arguments: ["no-store", "private, max-age=60"])
    func responsesThatMustNotBeStoredAreNot(_ cacheControl: String) async throws {
        let origin = try await ScriptedOrigin.start { n, _ in
            .text("n=\(n)", headers: [("Cache-Control", cacheControl)])
        }
        let proxy = try await startCachingProxy([origin.origin])
        _ = try await proxy.fetch("/secret")
        let second = try await proxy.fetch("/secret")
        #expect(second.bodyString == "n=2")
        #expect(second.cacheStatus.contains("fwd=uri-miss"))
        #expect(origin.hits == 2)
        await proxy.stop()
        try await origin.stop()
    }

    @Test func setCookieResponsesNeedPublicToBeStored() async throws {
        let origin = try await ScriptedOrigin.start { n, request in
            let cacheControl = request.uri == "/shared" ? "public, max-age=60" : "max-age=60"
            return .text("n=\(n)", headers: [("Cache-Control", cacheControl), ("Set-Cookie", "session=\(n)")])
        }
        let proxy = try await startCachingProxy([origin.origin])
        _ = try await proxy.fetch("/session")
        let second = try await proxy.fetch("/session")
        #expect(second.header("set-cookie") == "session=2")
        #expect(second.cacheStatus.contains("detail=set-cookie"))
        _ = try await proxy.fetch("/shared")
        #expect(try await proxy.fetch("/shared").cacheStatus.contains("hit"))
        #expect(origin.hits == 3)
        await proxy.stop()
        try await origin.stop()
    }

    @Test func serverErrorOnRevalidationKeepsTheStoredResponse() async throws {
        let origin = try await ScriptedOrigin.start { n, _ in
            n == 2 ? .text("oops", status: 500)
                : .text("good \(n)", headers: [("Cache-Control", "max-age=0, stale-if-error=60"), ("ETag", "\"g\"")])
        }
        let proxy = try await startCachingProxy([origin.origin])
        _ = try await proxy.fetch("/r")
        let during = try await proxy.fetch("/r")
        #expect(during.status == 200)
        #expect(during.bodyString == "good 1")
        #expect(during.cacheStatus.contains("fwd-status=500"))
        await proxy.stop()
        try await origin.stop()
    }

    @Test func unsafeMethodInvalidatesTheTarget() async throws {
        let origin = try await ScriptedOrigin.start { n, _ in
            .text("n=\(n)", headers: [("Cache-Control", "max-age=60")])
        }
        let proxy = try await startCachingProxy([origin.origin])
        _ = try await proxy.fetch("/item")
        #expect(try await proxy.fetch("/item").cacheStatus.contains("hit"))
        let post = try await proxy.fetch("/item", method: "POST")
        #expect(post.status == 200)
        let after = try await proxy.fetch("/item")
        #expect(after.bodyString == "n=3")
        #expect(origin.hits == 3)
        await proxy.stop()
        try await origin.stop()
    }

    @Test func keyAdditionsSeparateEntriesAndInvalidationFollowsThem() async throws {
        let origin = try await ScriptedOrigin.start { n, request in
            .text("\(request.header("x-tenant") ?? "-") n=\(n)", headers: [("Cache-Control", "max-age=60")])
        }
        let proxy = try await startCachingProxy([origin.origin], cache: RouteCacheConfig(keyAdditions: [.header("X-Tenant")]))
        #expect(try await proxy.fetch("/t", headers: [("X-Tenant", "a")]).bodyString == "a n=1")
        #expect(try await proxy.fetch("/t", headers: [("X-Tenant", "b")]).bodyString == "b n=2")
        #expect(try await proxy.fetch("/t", headers: [("X-Tenant", "a")]).cacheStatus.contains("hit"))
        // Tenant a's POST invalidates tenant a's entry only.
        _ = try await proxy.fetch("/t", headers: [("X-Tenant", "a")], method: "POST")
        #expect(try await proxy.fetch("/t", headers: [("X-Tenant", "a")]).bodyString == "a n=4")
        #expect(try await proxy.fetch("/t", headers: [("X-Tenant", "b")]).cacheStatus.contains("hit"))
        #expect(origin.hits == 4)
        await proxy.stop()
        try await origin.stop()
    }

    @Test func staleWhileRevalidateServesStaleAndRefreshesOnce() async throws {
        let origin = try await ScriptedOrigin.start { n, _ in
            let response = OriginResponse.text(
                "generation \(n)", headers: [("Cache-Control", "max-age=0, stale-while-revalidate=60")]
            )
            // The refresh is slow: the stale answer must not wait for it.
            return n == 1 ? response : .delayHead(.seconds(2), then: response)
        }
        let proxy = try await startCachingProxy([origin.origin])
        _ = try await proxy.fetch("/feed")
        // A keep-alive client: the refresh runs on its connection after the stale answer.
        let client = try await proxy.connect()
        let started = ContinuousClock.now
        let stale = try await client.roundTrip(get("/feed"))
        let waited = ContinuousClock.now - started
        #expect(stale.bodyString == "generation 1")
        #expect(stale.cacheStatus.contains("hit"))
        #expect(stale.cacheStatus.contains("ttl=-"))
        #expect(waited < .milliseconds(1500), "the stale response waited \(waited) for the refresh")
        // Stale hits during the refresh are answered at once and start no other refresh.
        #expect(try await proxy.fetch("/feed").bodyString == "generation 1")
        #expect(await eventually { origin.hits >= 2 })
        #expect(origin.hits == 2)
        // Once the refresh is stored, the new generation is served.
        #expect(try await eventually { try await proxy.fetch("/feed").bodyString == "generation 2" })
        await client.close()
        await proxy.stop()
        try await origin.stop()
    }

    @Test func staleIfErrorServesTheStoredResponseWhenTheOriginIsDown() async throws {
        let origin = try await ScriptedOrigin.start { _, _ in
            .text("still here", headers: [("Cache-Control", "max-age=0, stale-if-error=300"), ("ETag", "\"e\"")])
        }
        let proxy = try await startCachingProxy([origin.origin])
        _ = try await proxy.fetch("/status")
        try await origin.stop()
        let response = try await proxy.fetch("/status")
        #expect(response.status == 200)
        #expect(response.bodyString == "still here")
        #expect(response.cacheStatus.contains("stale"))
        await proxy.stop()
    }

    @Test func staleIfUpstreamDownCoversResponsesWithoutTheDirective() async throws {
        let origin = try await ScriptedOrigin.start { n, _ in
            n == 1 ? .text("cached", headers: [("Cache-Control", "max-age=0"), ("ETag", "\"a\"")])
                : .text("broken", status: 503)
        }
        let proxy = try await startCachingProxy([origin.origin], cache: RouteCacheConfig(staleIfUpstreamDownSeconds: 600))
        _ = try await proxy.fetch("/x")
        let response = try await proxy.fetch("/x")
        #expect(response.status == 200)
        #expect(response.bodyString == "cached")
        await proxy.stop()
        try await origin.stop()
    }

    @Test func concurrentMissesCollapseIntoOneOriginRequest() async throws {
        let origin = try await ScriptedOrigin.start { n, _ in
            .delayHead(.milliseconds(300), then: .text("shared \(n)", headers: [("Cache-Control", "max-age=60")]))
        }
        let proxy = try await startCachingProxy([origin.origin])
        let bodies = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<100 {
                group.addTask { try await HTTPTestClient.get(port: proxy.port, path: "/hot", timeout: .seconds(30)).bodyString }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(bodies.count == 100)
        #expect(Set(bodies) == ["shared 1"])
        #expect(origin.hits == 1)
        await proxy.stop()
        try await origin.stop()
    }

    @Test func leastRecentlyUsedEntriesAreEvictedUnderTheByteBound() async throws {
        let body = String(repeating: "x", count: 30_000)
        let origin = try await ScriptedOrigin.start { _, _ in
            .text(body, headers: [("Cache-Control", "max-age=60")])
        }
        let proxy = try await startCachingProxy(
            [origin.origin], storage: CacheStorageConfig(memoryBytes: 100_000, maxObjectBytes: 50_000)
        )
        for index in 0..<5 { _ = try await proxy.fetch("/object/\(index)") }
        #expect(origin.hits == 5)
        // The newest are still stored; the oldest went to make room.
        #expect(try await proxy.fetch("/object/4").cacheStatus.contains("hit"))
        #expect(try await proxy.fetch("/object/0").cacheStatus.contains("fwd=uri-miss"))
        let stats = try #require(proxy.server.responseCache?.storage.statistics)
        #expect(stats.bytes <= 100_000)
        #expect(stats.evictions >= 2)
        await proxy.stop()
        try await origin.stop()
    }

    @Test func diskStoreSurvivesARestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portico-cache-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let origin = try await ScriptedOrigin.start { n, _ in
            .text("persisted \(n)", headers: [("Cache-Control", "max-age=600")])
        }
        let storage = CacheStorageConfig(disk: DiskCacheConfig(path: directory, maxBytes: 10 << 20))
        let first = try await startCachingProxy([origin.origin], storage: storage)
        _ = try await first.fetch("/kept")
        await first.stop()
        let second = try await startCachingProxy([origin.origin], storage: storage)
        let response = try await second.fetch("/kept")
        #expect(response.bodyString == "persisted 1")
        #expect(response.cacheStatus.contains("hit"))
        #expect(origin.hits == 1)
        await second.stop()
        try await origin.stop()
    }

    @Test func headRangeAndConditionalRequestsAreAnsweredFromTheStoredGet() async throws {
        let origin = try await ScriptedOrigin.start { _, _ in
            .text("0123456789", headers: [("Cache-Control", "max-age=60"), ("ETag", "\"ten\"")])
        }
        let proxy = try await startCachingProxy([origin.origin])
        _ = try await proxy.fetch("/digits")
        let head = try await proxy.fetch("/digits", method: "HEAD")
        #expect(head.status == 200)
        #expect(head.header("content-length") == "10")
        #expect(head.bodyByteCount == 0)
        let range = try await proxy.fetch("/digits", headers: [("Range", "bytes=2-4")])
        #expect(range.status == 206)
        #expect(range.bodyString == "234")
        #expect(range.header("content-range") == "bytes 2-4/10")
        let conditional = try await proxy.fetch("/digits", headers: [("If-None-Match", "\"ten\"")])
        #expect(conditional.status == 304)
        #expect(conditional.header("etag") == "\"ten\"")
        #expect(origin.hits == 1)
        await proxy.stop()
        try await origin.stop()
    }

    @Test func onlyIfCachedWithoutAnEntryIs504() async throws {
        let origin = try await ScriptedOrigin.start { _, _ in .text("x", headers: [("Cache-Control", "max-age=60")]) }
        let proxy = try await startCachingProxy([origin.origin])
        let response = try await proxy.fetch("/none", headers: [("Cache-Control", "only-if-cached")])
        #expect(response.status == 504)
        #expect(origin.hits == 0)
        await proxy.stop()
        try await origin.stop()
    }

    @Test func purgeRemovesOneURLOrAPrefix() async throws {
        let origin = try await ScriptedOrigin.start { n, _ in .text("n=\(n)", headers: [("Cache-Control", "max-age=60")]) }
        let proxy = try await startCachingProxy([origin.origin])
        for path in ["/a/1", "/a/2", "/b/1"] { _ = try await proxy.fetch(path) }
        let cache = try #require(proxy.server.responseCache)
        #expect(cache.purge(url: "http://example.test/b/1") == 1)
        #expect(cache.purge(prefix: "http://example.test/a/") == 2)
        _ = try await proxy.fetch("/a/1")
        _ = try await proxy.fetch("/b/1")
        #expect(origin.hits == 5)
        await proxy.stop()
        try await origin.stop()
    }
}
