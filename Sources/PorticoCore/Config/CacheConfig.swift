/// Top-level `cache:` — the storage every caching route shares (docs/caching.md).
///
/// One store per process, shared by all workers, like nginx's `proxy_cache_path`
/// zone: a hit on one event loop is a hit on every other.
public struct CacheStorageConfig: Sendable, Equatable {
    /// `memory_size`: the in-memory store's bound, in bytes (headers and bodies).
    public var memoryBytes: Int
    /// `max_object_size`: larger responses are passed through and not stored.
    public var maxObjectBytes: Int
    /// `disk:` — an optional size-bounded directory that survives restarts.
    public var disk: DiskCacheConfig?

    public static let defaultMemoryBytes = 256 * 1024 * 1024
    public static let defaultMaxObjectBytes = 8 * 1024 * 1024

    public init(
        memoryBytes: Int = CacheStorageConfig.defaultMemoryBytes,
        maxObjectBytes: Int = CacheStorageConfig.defaultMaxObjectBytes,
        disk: DiskCacheConfig? = nil
    ) {
        self.memoryBytes = memoryBytes
        self.maxObjectBytes = maxObjectBytes
        self.disk = disk
    }
}

/// `cache.disk:` — where stored responses also go, so they survive a restart.
public struct DiskCacheConfig: Sendable, Equatable {
    /// `path`: a directory Portico owns (created if missing).
    public var path: String
    /// `max_size`: bytes of files kept; the least recently used go first.
    public var maxBytes: Int

    public init(path: String, maxBytes: Int) {
        self.path = path
        self.maxBytes = maxBytes
    }
}

/// A route's `cache:` — an RFC 9111 shared cache in front of its upstream group.
public struct RouteCacheConfig: Sendable, Equatable {
    /// `key:` — request parts added to the key (method, scheme, host and target always are).
    public var keyAdditions: [CacheKeyPart]
    /// `heuristic_fraction`: share of the time since `Last-Modified` a response without
    /// explicit freshness stays fresh (RFC 9111 §4.2.2; 0 turns heuristics off).
    public var heuristicFraction: Double
    /// `heuristic_max`: cap on heuristic freshness, seconds.
    public var heuristicMaxSeconds: Int
    /// `default_ttl`: freshness given to heuristically cacheable responses (RFC 9111
    /// §4.2.2) that carry neither explicit freshness nor `Last-Modified`; 0 = none,
    /// they are stored but stale at once (so revalidated).
    public var defaultTTLSeconds: Int
    /// `ignore_client_no_cache`: client `Cache-Control: no-cache` / `max-age=0` and
    /// `Pragma: no-cache` do not force revalidation (what CDNs do; RFC 9111 §5.2.1.4
    /// allows it).
    public var ignoreClientNoCache: Bool
    /// `stale_if_upstream_down`: seconds past expiry a stored response may be served
    /// when no upstream answers (502/503/504, connect failures), even without the
    /// origin's `stale-if-error` (0 = only what the origin allows).
    public var staleIfUpstreamDownSeconds: Int
    /// `collapse`: concurrent misses for one key send one upstream request.
    public var collapse: Bool
    /// `collapse_timeout`: how long a waiting request waits before going upstream itself.
    public var collapseTimeoutMilliseconds: Int
    /// `status_header`: send `Cache-Status` (RFC 9211) on responses of this route.
    public var statusHeader: Bool

    public init(
        keyAdditions: [CacheKeyPart] = [],
        heuristicFraction: Double = 0.1,
        heuristicMaxSeconds: Int = 86_400,
        defaultTTLSeconds: Int = 0,
        ignoreClientNoCache: Bool = false,
        staleIfUpstreamDownSeconds: Int = 0,
        collapse: Bool = true,
        collapseTimeoutMilliseconds: Int = 5_000,
        statusHeader: Bool = true
    ) {
        self.keyAdditions = keyAdditions
        self.heuristicFraction = heuristicFraction
        self.heuristicMaxSeconds = heuristicMaxSeconds
        self.defaultTTLSeconds = defaultTTLSeconds
        self.ignoreClientNoCache = ignoreClientNoCache
        self.staleIfUpstreamDownSeconds = staleIfUpstreamDownSeconds
        self.collapse = collapse
        self.collapseTimeoutMilliseconds = collapseTimeoutMilliseconds
        self.statusHeader = statusHeader
    }
}

/// One addition to the cache key (`cache.key:` entries).
public enum CacheKeyPart: Sendable, Equatable, CustomStringConvertible {
    /// `header:NAME` — the request field's value (all lines, comma-joined).
    case header(String)
    /// `cookie:NAME` — one cookie's value.
    case cookie(String)
    /// `client_ip` — the client address (per-client caching; rarely wanted).
    case clientIP

    public var description: String {
        switch self {
        case .header(let name): return "header:\(name)"
        case .cookie(let name): return "cookie:\(name)"
        case .clientIP: return "client_ip"
        }
    }
}

/// A content coding Portico can produce (RFC 9110 §8.4.1).
public enum ContentCodingName: String, Sendable, Equatable, CaseIterable {
    case gzip
    case br
    case zstd
}

/// `compression:` (top level, inherited by routes, or per route) — on-the-fly response
/// compression (docs/compression.md).
public struct CompressionConfig: Sendable, Equatable {
    /// `algorithms`: the codings offered, in Portico's order of preference for
    /// equal client q-values.
    public var algorithms: [ContentCodingName]
    /// `gzip_level` (1–9), `brotli_level` (0–11), `zstd_level` (1–19).
    public var gzipLevel: Int
    public var brotliLevel: Int
    public var zstdLevel: Int
    /// `min_length`: responses whose `Content-Length` is smaller are sent as they are
    /// (a response without a length is compressed).
    public var minLength: Int
    /// `types`: media types compressed (`text/*` style wildcards allowed), compared
    /// without parameters, case-insensitively.
    public var types: [String]

    public static let defaultTypes = [
        "text/html", "text/css", "text/plain", "text/xml", "text/javascript", "text/csv", "text/markdown",
        "application/javascript", "application/json", "application/xml", "application/xhtml+xml",
        "application/rss+xml", "application/atom+xml", "application/ld+json", "application/manifest+json",
        "application/wasm", "image/svg+xml", "font/ttf", "font/otf", "application/vnd.ms-fontobject",
    ]

    public init(
        algorithms: [ContentCodingName] = [.zstd, .br, .gzip],
        gzipLevel: Int = 6,
        brotliLevel: Int = 4,
        zstdLevel: Int = 3,
        minLength: Int = 1024,
        types: [String] = CompressionConfig.defaultTypes
    ) {
        self.algorithms = algorithms
        self.gzipLevel = gzipLevel
        self.brotliLevel = brotliLevel
        self.zstdLevel = zstdLevel
        self.minLength = minLength
        self.types = types
    }
}
