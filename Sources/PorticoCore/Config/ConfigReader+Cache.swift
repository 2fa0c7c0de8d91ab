import Yams

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Decoders for caching: the top-level `cache:` store (`CacheStorageConfig`) and a
/// route's `cache:` (`RouteCacheConfig`, an RFC 9111 shared cache). A route's
/// `compression:` is read next to its `cache:` by `routeCacheAndCompression`, because
/// both are only meaningful where responses come from an upstream.
extension ConfigReader {
    static let cacheStorageKeys = ["memory_size", "max_object_size", "disk"]
    static let diskCacheKeys = ["path", "max_size"]
    static let routeCacheKeys = [
        "key", "heuristic_fraction", "heuristic_max", "default_ttl", "ignore_client_no_cache",
        "stale_if_upstream_down", "collapse", "collapse_timeout", "status_header",
    ]
    static let cacheKeyForms = "client_ip, \"header:NAME\" or \"cookie:NAME\""
    /// Below this the store holds a handful of pages at most: a `memory_size` that
    /// small is a unit mistake (`256` bytes instead of `256m`), not a choice.
    static let minimumCacheMemoryBytes = 1024 * 1024

    // MARK: - Top-level `cache:`

    /// `cache:` — the store every caching route shares. An empty value means the
    /// defaults (256 MiB in memory, objects up to 8 MiB, no disk).
    mutating func cacheStorage(_ value: ConfigNode) -> CacheStorageConfig {
        var config = CacheStorageConfig()
        guard let fields = fields(value, known: Self.cacheStorageKeys) else { return config }
        var memoryValid = true
        if let child = fields["memory_size"] {
            if let size = cacheSize(child) {
                if size < Self.minimumCacheMemoryBytes {
                    report("memory_size must be at least 1MiB, found \(size) bytes", at: child.site)
                    memoryValid = false
                } else {
                    config.memoryBytes = size
                }
            } else {
                memoryValid = false
            }
        }
        if let child = fields["max_object_size"], let size = cacheSize(child) {
            // Only compared with a valid memory_size, so one mistake is reported once.
            if memoryValid, size > config.memoryBytes {
                report(
                    "max_object_size (\(size) bytes) must not be larger than memory_size (\(config.memoryBytes) bytes)",
                    at: child.site
                )
            } else {
                config.maxObjectBytes = size
            }
        }
        if let child = fields["disk"] { config.disk = diskCache(child, maxObjectBytes: config.maxObjectBytes) }
        return config
    }

    /// `cache.disk: { path, max_size }`, both required. The directory is *not* created
    /// here: `portico validate` must not change the file system. A path that exists
    /// must be a directory; whether it can be created and written is checked when the
    /// store opens at startup.
    private mutating func diskCache(_ value: ConfigNode, maxObjectBytes: Int) -> DiskCacheConfig? {
        guard let fields = fields(value, known: Self.diskCacheKeys) else { return nil }
        requireKey("path", in: fields, context: "cache.disk")
        requireKey("max_size", in: fields, context: "cache.disk")
        var path: String?
        if let child = fields["path"], let text = nonEmptyString(child, "cache.disk.path") {
            if Self.existsAndIsNotDirectory(text) {
                report("cache.disk.path \(configQuoted(text)) exists and is not a directory", at: child.site)
            } else {
                path = text
            }
        }
        var maxBytes: Int?
        if let child = fields["max_size"], let size = cacheSize(child) {
            if size < maxObjectBytes {
                report("max_size (\(size) bytes) must be at least max_object_size (\(maxObjectBytes) bytes)", at: child.site)
            } else {
                maxBytes = size
            }
        }
        guard let path, let maxBytes else { return nil }
        return DiskCacheConfig(path: path, maxBytes: maxBytes)
    }

    /// `stat` only: a missing path is fine (created at startup), so is one we may not
    /// look into (reported at startup with the system's reason).
    private static func existsAndIsNotDirectory(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return (info.st_mode & S_IFMT) != S_IFDIR
    }

    // MARK: - Route `cache:`

    /// A route's `cache:`: `true` (or an empty value) for the defaults, `false` for
    /// none, or a mapping. Returns `nil` (no caching) for `false` and after errors.
    mutating func routeCache(_ value: ConfigNode) -> RouteCacheConfig? {
        if value.node.tag.rawValue == Tag.Name.bool.rawValue, let flag = value.node.bool {
            return flag ? RouteCacheConfig() : nil
        }
        if case .scalar = value.node, !value.node.isNull {
            typeMismatch(expected: "true, false or a mapping", value)
            return nil
        }
        var config = RouteCacheConfig()
        guard let fields = fields(value, known: Self.routeCacheKeys) else { return nil }
        if let child = fields["key"], let parts = cacheKeyParts(child) { config.keyAdditions = parts }
        if let child = fields["heuristic_fraction"], let fraction = fraction(child, "heuristic_fraction") {
            config.heuristicFraction = fraction
        }
        if let child = fields["heuristic_max"], let seconds = wholeSeconds(child, "heuristic_max") {
            config.heuristicMaxSeconds = seconds
        }
        if let child = fields["default_ttl"], let seconds = wholeSeconds(child, "default_ttl") {
            config.defaultTTLSeconds = seconds
        }
        if let child = fields["ignore_client_no_cache"], let flag = bool(child) { config.ignoreClientNoCache = flag }
        if let child = fields["stale_if_upstream_down"], let seconds = wholeSeconds(child, "stale_if_upstream_down") {
            config.staleIfUpstreamDownSeconds = seconds
        }
        if let child = fields["collapse"], let flag = bool(child) { config.collapse = flag }
        if let child = fields["collapse_timeout"], let timeout = duration(child) {
            config.collapseTimeoutMilliseconds = Self.milliseconds(timeout)
        }
        if let child = fields["status_header"], let flag = bool(child) { config.statusHeader = flag }
        return config
    }

    /// `key:` — one part or a list; each part once (header names compared
    /// case-insensitively, as HTTP does). An empty list adds nothing.
    private mutating func cacheKeyParts(_ value: ConfigNode) -> [CacheKeyPart]? {
        if value.node.isNull { return [] }
        guard let list = oneOrMany(value) else { return nil }
        var parts: [CacheKeyPart] = []
        var seen: [(key: String, site: ConfigSite)] = []
        for item in list {
            guard let part = cacheKeyPart(item) else { continue }
            parts.append(part)
            if case .header(let name) = part {
                seen.append(("header:" + name.lowercased(), item.site))
            } else {
                seen.append((part.description, item.site))
            }
        }
        reportDuplicates(seen, what: "cache key part")
        return parts
    }

    /// `client_ip`, `header:NAME` (an HTTP token) or `cookie:NAME` (a cookie name).
    private mutating func cacheKeyPart(_ value: ConfigNode) -> CacheKeyPart? {
        guard let text = string(value) else { return nil }
        if text == "client_ip" { return .clientIP }
        for kind in ["header", "cookie"] where text.hasPrefix(kind + ":") {
            let name = String(text.dropFirst(kind.count + 1))
            guard !name.isEmpty else {
                let example = kind == "header" ? "X-Tenant" : "session"
                report("cache key \(configQuoted(text)) needs a \(kind) name after \"\(kind):\", as in \"\(kind):\(example)\"", at: value.site)
                return nil
            }
            if kind == "header" { return headerName(name, at: value.site).map(CacheKeyPart.header) }
            return cookieName(name, at: value.site).map(CacheKeyPart.cookie)
        }
        var hint = ConfigSuggestions.closest(to: text, in: ["client_ip"])
        if hint == nil, let colon = text.firstIndex(of: ":") {
            hint = ConfigSuggestions.closest(to: String(text[..<colon]), in: ["header", "cookie"]).map { $0 + text[colon...] }
        }
        let hintText = hint.map { " (did you mean \(configQuoted($0))?)" } ?? " (expected \(Self.cacheKeyForms))"
        report("unknown cache key part \(configQuoted(text))\(hintText)", at: value.site)
        return nil
    }

    // MARK: - Route hook

    /// Reads a route's `cache:` and `compression:` into `route`. Both act on responses
    /// fetched from an upstream, so on `redirect`/`respond` routes they are errors.
    /// Returns whether the route inherits the top-level `compression:` (an upstream
    /// route without its own `compression:` key); `topLevelCompression` fills it in.
    mutating func routeCacheAndCompression(_ fields: ConfigFields, into route: inout RouteConfig, action: String?) -> Bool {
        if let action, action != "upstream" {
            if fields.has("cache") {
                report("cache is only allowed on routes with upstream (this route uses \(action): its responses are made by Portico, there is nothing to fetch and store)", at: fields.keySite("cache"))
            }
            if fields.has("compression") {
                report("compression is only allowed on routes with upstream (this route uses \(action): only responses from an upstream are compressed)", at: fields.keySite("compression"))
            }
            return false
        }
        if let child = fields["cache"] { route.cache = routeCache(child) }
        guard let child = fields["compression"] else { return true }
        route.compression = compressionSetting(child)
        return false
    }

    // MARK: - Values

    /// A size (`256m`, `8MiB`, bytes) greater than zero. Sizes have no gigabyte unit,
    /// so `10g` gets a hint with the equivalent in MiB instead of the generic message.
    mutating func cacheSize(_ value: ConfigNode, allowZero: Bool = false) -> Int? {
        if case .scalar(let scalar) = value.node, let hint = Self.gigabyteHint(scalar.string) {
            report("invalid size \(configQuoted(scalar.string)) (there is no gigabyte unit: write \(configQuoted(hint)))", at: value.site)
            return nil
        }
        return size(value, allowZero: allowZero)
    }

    /// `"10g"`, `"10GB"`, `"10GiB"` → `"10240m"`.
    static func gigabyteHint(_ text: String) -> String? {
        let digits = text.prefix { ("0"..."9").contains($0) }
        guard !digits.isEmpty, digits.count <= 12, let number = Int(digits),
              ["g", "gb", "gib"].contains(text.dropFirst(digits.count).lowercased())
        else { return nil }
        return "\(number * 1024)m"
    }

    /// A duration of zero or more whole seconds (`0s`, `30`, `10m`, `24h`). Days are
    /// not a unit, so `1d` gets a hint with the equivalent in hours.
    private mutating func wholeSeconds(_ value: ConfigNode, _ what: String) -> Int? {
        guard let text = string(value) else { return nil }
        let digits = text.prefix { ("0"..."9").contains($0) }
        if !digits.isEmpty, digits.count <= 12, text.dropFirst(digits.count) == "d", let days = Int(digits) {
            report("invalid duration \(configQuoted(text)) (there is no day unit: write \(configQuoted("\(days * 24)h")))", at: value.site)
            return nil
        }
        guard let duration = check(ConfigScalar.checkDuration(text), at: value.site) else { return nil }
        let (seconds, attoseconds) = duration.components
        guard attoseconds == 0 else {
            report("\(what) must be a whole number of seconds, found \(configQuoted(text))", at: value.site)
            return nil
        }
        guard let result = Int(exactly: seconds) else {
            report("duration \(configQuoted(text)) is too large", at: value.site)
            return nil
        }
        return result
    }

    /// A decimal number in 0…1 (`0.1`, `0`, `1`).
    private mutating func fraction(_ value: ConfigNode, _ what: String) -> Double? {
        guard case .scalar(let scalar) = value.node, !value.node.isNull,
              value.node.tag.rawValue != Tag.Name.bool.rawValue,
              scalar.string.allSatisfy({ ("0"..."9").contains($0) || $0 == "." || $0 == "-" }),
              let number = Double(scalar.string), number.isFinite
        else {
            typeMismatch(expected: "a number between 0 and 1", value)
            return nil
        }
        guard (0...1).contains(number) else {
            report("\(what) must be between 0 and 1, found \(scalar.string)", at: value.site)
            return nil
        }
        return number
    }

    /// Whole milliseconds, saturating; the duration syntax has no finer unit.
    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        let (total, overflowAgain) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return overflow || overflowAgain ? Int.max : Int(clamping: total)
    }
}
