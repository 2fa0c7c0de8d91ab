import Yams

/// Decoders for `compression:` (`CompressionConfig`), at the top level and on routes.
///
/// Inheritance: an upstream route without a `compression:` key takes the top-level
/// value; `compression: false` on a route turns it off even when the top level is on;
/// a route's mapping is complete on its own — unset keys take the *defaults*, not the
/// top-level values (one place to read what a route does, no merge rules to learn).
/// `redirect`/`respond` routes never compress.
extension ConfigReader {
    static let compressionKeys = ["algorithms", "gzip_level", "brotli_level", "zstd_level", "min_length", "types"]
    /// `brotli` is accepted for `br`: it is the library's and nginx module's name, and
    /// the intent is unambiguous. Names are content codings, so case-insensitive
    /// (RFC 9110 §8.4.1).
    static let compressionAlgorithmAliases: [String: ContentCodingName] = ["brotli": .br]

    /// The top-level `compression:` (absent = off), copied into every upstream route
    /// that has no `compression:` of its own.
    mutating func topLevelCompression(_ value: ConfigNode?, inheritedBy routes: inout [DecodedRoute]) -> CompressionConfig? {
        guard let value else { return nil }
        let config = compressionSetting(value)
        for index in routes.indices where routes[index].inheritsCompression {
            routes[index].config.compression = config
        }
        return config
    }

    /// `true` (or an empty value) for the defaults, `false` for off (`nil`), or a mapping
    /// whose unset keys take the defaults.
    mutating func compressionSetting(_ value: ConfigNode) -> CompressionConfig? {
        if value.node.tag.rawValue == Tag.Name.bool.rawValue, let flag = value.node.bool {
            return flag ? CompressionConfig() : nil
        }
        if case .scalar = value.node, !value.node.isNull {
            typeMismatch(expected: "true, false or a mapping", value)
            return nil
        }
        var config = CompressionConfig()
        guard let fields = fields(value, known: Self.compressionKeys) else { return nil }
        if let child = fields["algorithms"], let list = compressionAlgorithms(child) { config.algorithms = list }
        if let child = fields["gzip_level"], let level = int(child, in: 1...9, "gzip_level") { config.gzipLevel = level }
        if let child = fields["brotli_level"], let level = int(child, in: 0...11, "brotli_level") { config.brotliLevel = level }
        if let child = fields["zstd_level"], let level = int(child, in: 1...19, "zstd_level") { config.zstdLevel = level }
        if let child = fields["min_length"], let size = cacheSize(child, allowZero: true) { config.minLength = size }
        if let child = fields["types"], let types = compressedTypes(child) { config.types = types }
        return config
    }

    /// `algorithms:` — one name or a list, at least one, each once, in order of
    /// preference.
    private mutating func compressionAlgorithms(_ value: ConfigNode) -> [ContentCodingName]? {
        guard let list = oneOrMany(value) else { return nil }
        guard !list.isEmpty else {
            report("at least one algorithm is required (use compression: false to turn compression off)", at: value.site)
            return nil
        }
        let names = ContentCodingName.allCases.map(\.rawValue)
        var result: [ContentCodingName] = []
        var seen: [(key: String, site: ConfigSite)] = []
        for item in list {
            guard let text = string(item) else { continue }
            let lower = text.lowercased()
            guard let name = ContentCodingName(rawValue: lower) ?? Self.compressionAlgorithmAliases[lower] else {
                report("unknown algorithm \(configQuoted(text))\(ConfigSuggestions.hintOrList(for: lower, in: names))", at: item.site)
                continue
            }
            result.append(name)
            seen.append((name.rawValue, item.site))
        }
        reportDuplicates(seen, what: "algorithm")
        return result
    }

    /// `types:` — one media type or a list, at least one; each `type/subtype` or
    /// `type/*`, lower-cased (media types are case-insensitive, RFC 9110 §8.3.1) and
    /// without parameters (they are compared without them).
    private mutating func compressedTypes(_ value: ConfigNode) -> [String]? {
        guard let list = oneOrMany(value) else { return nil }
        guard !list.isEmpty else {
            report("at least one media type is required (use compression: false to turn compression off)", at: value.site)
            return nil
        }
        var result: [String] = []
        var seen: [(key: String, site: ConfigSite)] = []
        for item in list {
            guard let text = string(item), let type = check(Self.checkCompressedType(text), at: item.site) else { continue }
            result.append(type)
            seen.append((type, item.site))
        }
        reportDuplicates(seen, what: "media type")
        return result
    }

    /// `text/html` or `text/*`, both parts HTTP tokens; `*/*` is refused because it
    /// would also compress images, video and archives, which are compressed already.
    static func checkCompressedType(_ text: String) -> Result<String, ConfigScalar.Problem> {
        let lower = text.lowercased()
        if lower.contains(";") {
            return .failure(ConfigScalar.Problem(message: "media type \(configQuoted(text)) must not have parameters (types are compared without them)"))
        }
        let parts = lower.split(separator: "/", omittingEmptySubsequences: false)
        // `*` is a token character, so a wildcard inside a name (`text/htm*`) would pass
        // the token check: only a whole `*` subtype is a wildcard.
        guard parts.count == 2, ConfigScalar.isToken(String(parts[0])), ConfigScalar.isToken(String(parts[1])),
              parts[0] == "*" || !parts[0].contains("*"), parts[1] == "*" || !parts[1].contains("*")
        else {
            return .failure(ConfigScalar.Problem(message: "invalid media type \(configQuoted(text)) (use \"type/subtype\" or \"type/*\", e.g. \"text/html\" or \"text/*\")"))
        }
        if parts[0] == "*" {
            return .failure(ConfigScalar.Problem(message: "media type \(configQuoted(text)) is too broad: it would compress images, video and archives that are compressed already (list the types, e.g. \"text/*\")"))
        }
        return .success(lower)
    }
}
