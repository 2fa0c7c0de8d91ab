import Foundation
import PorticoCore
import Testing

/// `cache:` at the top level (the shared store) and on routes (RFC 9111 caching of
/// one route): defaults, every key, and one precise diagnostic per mistake.
@Suite("Config cache")
struct CacheConfigReaderTests {
    typealias Case = ConfigDiagnosticsTests.Case

    /// A valid document continued from line 6 with top-level `lines`.
    static func top(_ lines: String) -> String { ConfigDiagnosticsTests.base + lines }

    /// A document whose only route (line 5) continues with `lines` from line 6.
    static func route(_ lines: String) -> String { ConfigDiagnosticsTests.route(lines) }

    static func load(_ yaml: String) throws -> PorticoConfig {
        try ConfigLoader.parse(yaml: yaml, file: "test.yaml")
    }

    static func routeCache(_ lines: String) throws -> RouteCacheConfig? {
        try #require(try load(route(lines)).routes.first).cache
    }

    // MARK: - Top-level store

    @Test func absentOrEmptySectionMeansDefaultStore() throws {
        #expect(try Self.load(ConfigDiagnosticsTests.base).cache == CacheStorageConfig())
        #expect(try Self.load(Self.top("cache:\n")).cache == CacheStorageConfig())
        let defaults = CacheStorageConfig()
        #expect(defaults.memoryBytes == 256 * 1024 * 1024)
        #expect(defaults.maxObjectBytes == 8 * 1024 * 1024)
        #expect(defaults.disk == nil)
    }

    @Test func everyStoreKey() throws {
        let config = try Self.load(Self.top("""
            cache:
              memory_size: 512m
              max_object_size: 16MiB
              disk:
                path: /nonexistent/portico-cache
                max_size: 10240m

            """))
        #expect(config.cache == CacheStorageConfig(
            memoryBytes: 512 * 1024 * 1024,
            maxObjectBytes: 16 * 1024 * 1024,
            disk: DiskCacheConfig(path: "/nonexistent/portico-cache", maxBytes: 10240 * 1024 * 1024)
        ))
    }

    @Test func existingDirectoryIsAcceptedAndNothingIsCreated() throws {
        let directory = NSTemporaryDirectory()
        let config = try Self.load(Self.top("cache:\n  disk: { path: \"\(directory)\", max_size: 64m }\n"))
        #expect(config.cache.disk?.path == directory)

        let missing = NSTemporaryDirectory() + "portico-cache-\(UUID().uuidString)"
        _ = try Self.load(Self.top("cache:\n  disk: { path: \"\(missing)\", max_size: 64m }\n"))
        #expect(!FileManager.default.fileExists(atPath: missing), "validation must not create the directory")
    }

    @Test func smallestMemorySizeIsOneMiB() throws {
        let config = try Self.load(Self.top("cache: { memory_size: 1m, max_object_size: 1m }\n"))
        #expect(config.cache.memoryBytes == 1024 * 1024)
        #expect(config.cache.maxObjectBytes == 1024 * 1024)
    }

    static let storeCases: [Case] = [
        Case(top("cache:\n  memory_sise: 1m\n"), line: 7, path: "cache.memory_sise", "unknown key \"memory_sise\" (did you mean \"memory_size\"?)"),
        Case(top("cache:\n  memory_size: 512k\n"), line: 7, path: "cache.memory_size", "memory_size must be at least 1MiB, found 524288 bytes"),
        Case(top("cache:\n  memory_size: 10g\n"), line: 7, path: "cache.memory_size", "invalid size \"10g\" (there is no gigabyte unit: write \"10240m\")"),
        Case(top("cache:\n  memory_size: lots\n"), line: 7, path: "cache.memory_size", "invalid size \"lots\""),
        Case(top("cache:\n  max_object_size: 512m\n"), line: 7, path: "cache.max_object_size",
             "max_object_size (536870912 bytes) must not be larger than memory_size (268435456 bytes)"),
        Case(top("cache:\n  memory_size: 2m\n  max_object_size: 4m\n"), line: 8, path: "cache.max_object_size", "must not be larger than memory_size"),
        Case(top("cache:\n  max_object_size: 0\n"), line: 7, path: "cache.max_object_size", "size must be greater than 0"),
        Case(top("cache: true\n"), line: 6, path: "cache", "expected a mapping, found \"true\""),
        Case(top("cache:\n  disk: { max_size: 1024m }\n"), line: 7, path: "cache.disk", "missing required key \"path\" in cache.disk"),
        Case(top("cache:\n  disk: { path: /x }\n"), line: 7, path: "cache.disk", "missing required key \"max_size\" in cache.disk"),
        Case(top("cache:\n  disk: { path: \"\", max_size: 1024m }\n"), line: 7, path: "cache.disk.path", "cache.disk.path must not be empty"),
        Case(top("cache:\n  disk: { path: /dev/null, max_size: 1024m }\n"), line: 7, path: "cache.disk.path",
             "cache.disk.path \"/dev/null\" exists and is not a directory"),
        Case(top("cache:\n  disk: { path: /x, max_size: 1m }\n"), line: 7, path: "cache.disk.max_size",
             "max_size (1048576 bytes) must be at least max_object_size (8388608 bytes)"),
        Case(top("cache:\n  disk: { path: /x, max_size: 1024m, max_sise: 1 }\n"), line: 7, path: "cache.disk.max_sise", "did you mean \"max_size\"?"),
    ]

    @Test(arguments: storeCases) func storeDiagnostic(_ testCase: Case) {
        ConfigDiagnosticsTests.expectOneDiagnostic(testCase)
    }

    // MARK: - Route cache

    @Test func routeWithoutCacheDoesNotCache() throws {
        #expect(try Self.routeCache("    upstream: api") == nil)
        #expect(try Self.routeCache("    upstream: api\n    cache: false") == nil)
    }

    @Test func trueOrEmptyMeansDefaults() throws {
        #expect(try Self.routeCache("    upstream: api\n    cache: true") == RouteCacheConfig())
        #expect(try Self.routeCache("    upstream: api\n    cache:") == RouteCacheConfig())
        #expect(try Self.routeCache("    upstream: api\n    cache: {}") == RouteCacheConfig())
        let defaults = RouteCacheConfig()
        #expect(defaults.keyAdditions.isEmpty)
        #expect(defaults.heuristicFraction == 0.1)
        #expect(defaults.heuristicMaxSeconds == 86_400)
        #expect(defaults.collapse && defaults.collapseTimeoutMilliseconds == 5_000 && defaults.statusHeader)
    }

    @Test func everyRouteKey() throws {
        let cache = try Self.routeCache("""
                upstream: api
                cache:
                  key: [header:X-Tenant, cookie:session, client_ip]
                  heuristic_fraction: 0.25
                  heuristic_max: 12h
                  default_ttl: 30s
                  ignore_client_no_cache: true
                  stale_if_upstream_down: 10m
                  collapse: false
                  collapse_timeout: 250ms
                  status_header: false
            """)
        #expect(cache == RouteCacheConfig(
            keyAdditions: [.header("X-Tenant"), .cookie("session"), .clientIP],
            heuristicFraction: 0.25,
            heuristicMaxSeconds: 43_200,
            defaultTTLSeconds: 30,
            ignoreClientNoCache: true,
            staleIfUpstreamDownSeconds: 600,
            collapse: false,
            collapseTimeoutMilliseconds: 250,
            statusHeader: false
        ))
    }

    @Test func zeroDurationsAndFractionBoundsAreAllowed() throws {
        let cache = try Self.routeCache("""
                upstream: api
                cache: { heuristic_fraction: 0, heuristic_max: 0s, default_ttl: 0, stale_if_upstream_down: 0s }
            """)
        #expect(cache == RouteCacheConfig(heuristicFraction: 0, heuristicMaxSeconds: 0, defaultTTLSeconds: 0))
        #expect(try Self.routeCache("    upstream: api\n    cache: { heuristic_fraction: 1 }")?.heuristicFraction == 1)
    }

    @Test func singleKeyPartNeedsNoList() throws {
        #expect(try Self.routeCache("    upstream: api\n    cache: { key: client_ip }")?.keyAdditions == [.clientIP])
        #expect(try Self.routeCache("    upstream: api\n    cache: { key: [] }")?.keyAdditions == [])
    }

    static let routeCases: [Case] = [
        Case(route("    redirect: { location: /x }\n    cache: true"), line: 7, path: "routes[0].cache",
             "cache is only allowed on routes with upstream (this route uses redirect: its responses are made by Portico"),
        Case(route("    respond: { status: 200 }\n    cache: { collapse: true }"), line: 7, path: "routes[0].cache",
             "cache is only allowed on routes with upstream (this route uses respond"),
        Case(route("    upstream: api\n    cache: \"yes please\""), line: 7, path: "routes[0].cache", "expected true, false or a mapping, found \"yes please\""),
        Case(route("    upstream: api\n    cache: [a]"), line: 7, path: "routes[0].cache", "expected a mapping, found a sequence"),
        Case(route("    upstream: api\n    cache: { colapse: true }"), line: 7, path: "routes[0].cache.colapse", "did you mean \"collapse\"?"),
        Case(route("    upstream: api\n    cache: { heuristic_fraction: 1.5 }"), line: 7, path: "routes[0].cache.heuristic_fraction",
             "heuristic_fraction must be between 0 and 1, found 1.5"),
        Case(route("    upstream: api\n    cache: { heuristic_fraction: -0.1 }"), line: 7, path: "routes[0].cache.heuristic_fraction",
             "heuristic_fraction must be between 0 and 1, found -0.1"),
        Case(route("    upstream: api\n    cache: { heuristic_fraction: tenth }"), line: 7, path: "routes[0].cache.heuristic_fraction",
             "expected a number between 0 and 1, found \"tenth\""),
        Case(route("    upstream: api\n    cache: { heuristic_max: 1d }"), line: 7, path: "routes[0].cache.heuristic_max",
             "invalid duration \"1d\" (there is no day unit: write \"24h\")"),
        Case(route("    upstream: api\n    cache: { default_ttl: 1500ms }"), line: 7, path: "routes[0].cache.default_ttl",
             "default_ttl must be a whole number of seconds, found \"1500ms\""),
        Case(route("    upstream: api\n    cache: { stale_if_upstream_down: -1s }"), line: 7, path: "routes[0].cache.stale_if_upstream_down",
             "invalid duration \"-1s\""),
        Case(route("    upstream: api\n    cache: { collapse_timeout: 0s }"), line: 7, path: "routes[0].cache.collapse_timeout",
             "duration must be greater than 0"),
        Case(route("    upstream: api\n    cache: { status_header: maybe }"), line: 7, path: "routes[0].cache.status_header", "expected true or false"),
        Case(route("    upstream: api\n    cache: { ignore_client_no_cache: \"true\" }"), line: 7, path: "routes[0].cache.ignore_client_no_cache",
             "expected true or false"),
        Case(route("    upstream: api\n    cache: { key: [header:X-Tenant, header:x-tenant] }"), line: 7, path: "routes[0].cache.key[1]",
             "duplicate cache key part \"header:x-tenant\""),
        Case(route("    upstream: api\n    cache: { key: [client_ip, client_ip] }"), line: 7, path: "routes[0].cache.key[1]",
             "duplicate cache key part \"client_ip\""),
        Case(route("    upstream: api\n    cache: { key: [\"header:\"] }"), line: 7, path: "routes[0].cache.key[0]",
             "cache key \"header:\" needs a header name after \"header:\", as in \"header:X-Tenant\""),
        Case(route("    upstream: api\n    cache: { key: [\"header:X Tenant\"] }"), line: 7, path: "routes[0].cache.key[0]",
             "invalid header name \"X Tenant\""),
        Case(route("    upstream: api\n    cache: { key: [\"cookie:a;b\"] }"), line: 7, path: "routes[0].cache.key[0]",
             "invalid cookie name \"a;b\""),
        Case(route("    upstream: api\n    cache: { key: [clientip] }"), line: 7, path: "routes[0].cache.key[0]",
             "unknown cache key part \"clientip\" (did you mean \"client_ip\"?)"),
        Case(route("    upstream: api\n    cache: { key: [\"heder:X\"] }"), line: 7, path: "routes[0].cache.key[0]",
             "unknown cache key part \"heder:X\" (did you mean \"header:X\"?)"),
        Case(route("    upstream: api\n    cache: { key: [path] }"), line: 7, path: "routes[0].cache.key[0]",
             "unknown cache key part \"path\" (expected client_ip, \"header:NAME\" or \"cookie:NAME\")"),
    ]

    @Test(arguments: routeCases) func routeDiagnostic(_ testCase: Case) {
        ConfigDiagnosticsTests.expectOneDiagnostic(testCase)
    }
}
