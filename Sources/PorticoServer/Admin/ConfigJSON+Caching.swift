import PorticoCore

/// `GET /api/config` sections for `cache:` and `compression:` (top level and routes).
/// Nothing here is secret: sizes, durations, names of key parts, the disk path.
extension ConfigJSON {
    /// The disk path is shown: it is a location, not a secret.
    static func cacheStorage(_ cache: CacheStorageConfig) -> AdminJSON {
        .object([
            ("memory_size", .int(cache.memoryBytes)),
            ("max_object_size", .int(cache.maxObjectBytes)),
            ("disk", cache.disk.map { disk in
                .object([("path", .string(disk.path)), ("max_size", .int(disk.maxBytes))])
            } ?? .null),
        ])
    }

    /// Key parts are names (`header:X-Tenant`, `cookie:session`), never values.
    static func routeCache(_ cache: RouteCacheConfig) -> AdminJSON {
        .object([
            ("key", .array(cache.keyAdditions.map { .string($0.description) })),
            ("heuristic_fraction", .double(cache.heuristicFraction)),
            ("heuristic_max", duration(.seconds(cache.heuristicMaxSeconds))),
            ("default_ttl", duration(.seconds(cache.defaultTTLSeconds))),
            ("ignore_client_no_cache", .bool(cache.ignoreClientNoCache)),
            ("stale_if_upstream_down", duration(.seconds(cache.staleIfUpstreamDownSeconds))),
            ("collapse", .bool(cache.collapse)),
            ("collapse_timeout", duration(.milliseconds(cache.collapseTimeoutMilliseconds))),
            ("status_header", .bool(cache.statusHeader)),
        ])
    }

    static func compression(_ compression: CompressionConfig) -> AdminJSON {
        .object([
            ("algorithms", .array(compression.algorithms.map { .string($0.rawValue) })),
            ("gzip_level", .int(compression.gzipLevel)),
            ("brotli_level", .int(compression.brotliLevel)),
            ("zstd_level", .int(compression.zstdLevel)),
            ("min_length", .int(compression.minLength)),
            ("types", .array(compression.types.map(AdminJSON.string))),
        ])
    }
}
