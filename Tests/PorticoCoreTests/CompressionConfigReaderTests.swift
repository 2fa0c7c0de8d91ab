import PorticoCore
import Testing

/// `compression:` at the top level and on routes: defaults, every key, inheritance,
/// and one precise diagnostic per mistake.
@Suite("Config compression")
struct CompressionConfigReaderTests {
    typealias Case = ConfigDiagnosticsTests.Case

    /// A valid document continued from line 6 with top-level `lines`.
    static func top(_ lines: String) -> String { ConfigDiagnosticsTests.base + lines }

    /// A document whose only route (line 5) continues with `lines` from line 6.
    static func route(_ lines: String) -> String { ConfigDiagnosticsTests.route(lines) }

    /// Top-level `lines` (from line 1) followed by an upstream, and these routes:
    /// `inherits` (upstream, no key), `disabled` (`compression: false`), `own` (`{ zstd_level: 5 }`),
    /// `fixed` (respond) and `moved` (redirect).
    static func inheritance(_ lines: String) -> String {
        lines + """
            listeners: [{ address: ":8080" }]
            upstreams: [{ name: api, servers: ["127.0.0.1:9001"] }]
            routes:
              - { name: inherits, upstream: api }
              - { name: disabled, upstream: api, compression: false }
              - { name: own, upstream: api, compression: { zstd_level: 5 } }
              - { name: fixed, respond: { status: 200 } }
              - { name: moved, redirect: { location: /x } }
            """
    }

    static func load(_ yaml: String) throws -> PorticoConfig {
        try ConfigLoader.parse(yaml: yaml, file: "test.yaml")
    }

    static func routeCompression(_ lines: String) throws -> CompressionConfig? {
        try #require(try load(route(lines)).routes.first).compression
    }

    static func byName(_ config: PorticoConfig) -> [String: CompressionConfig?] {
        Dictionary(uniqueKeysWithValues: config.routes.map { ($0.name, $0.compression) })
    }

    // MARK: - Decoding

    @Test func absentEverywhereMeansOff() throws {
        let config = try Self.load(ConfigDiagnosticsTests.base)
        #expect(config.compression == nil)
        #expect(config.routes.allSatisfy { $0.compression == nil })
        #expect(try Self.load(Self.top("compression: false\n")).compression == nil)
        #expect(try Self.load(Self.top("compression: off\n")).compression == nil)
    }

    @Test func trueOrEmptyMeansDefaults() throws {
        #expect(try Self.load(Self.top("compression: true\n")).compression == CompressionConfig())
        #expect(try Self.load(Self.top("compression:\n")).compression == CompressionConfig())
        #expect(try Self.routeCompression("    upstream: api\n    compression: true") == CompressionConfig())
        #expect(try Self.routeCompression("    upstream: api\n    compression: {}") == CompressionConfig())
        let defaults = CompressionConfig()
        #expect(defaults.algorithms == [.zstd, .br, .gzip])
        #expect((defaults.gzipLevel, defaults.brotliLevel, defaults.zstdLevel, defaults.minLength) == (6, 4, 3, 1024))
    }

    @Test func everyKey() throws {
        let compression = try Self.routeCompression("""
                upstream: api
                compression:
                  algorithms: [gzip, br, zstd]
                  gzip_level: 9
                  brotli_level: 11
                  zstd_level: 19
                  min_length: 4k
                  types: [text/html, "text/*", Application/JSON]
            """)
        #expect(compression == CompressionConfig(
            algorithms: [.gzip, .br, .zstd], gzipLevel: 9, brotliLevel: 11, zstdLevel: 19,
            minLength: 4096, types: ["text/html", "text/*", "application/json"]
        ))
    }

    @Test func lowestLevelsAndZeroMinLength() throws {
        let compression = try Self.routeCompression("""
                upstream: api
                compression: { gzip_level: 1, brotli_level: 0, zstd_level: 1, min_length: 0 }
            """)
        #expect(compression == CompressionConfig(gzipLevel: 1, brotliLevel: 0, zstdLevel: 1, minLength: 0))
    }

    @Test func brotliIsAnAliasOfBrAndNamesAreCaseInsensitive() throws {
        #expect(try Self.routeCompression("    upstream: api\n    compression: { algorithms: [Brotli, GZIP] }")?.algorithms == [.br, .gzip])
        #expect(try Self.routeCompression("    upstream: api\n    compression: { algorithms: zstd }")?.algorithms == [.zstd])
    }

    @Test func upstreamRoutesInheritTheTopLevelValue() throws {
        let config = try Self.load(Self.inheritance("compression: { gzip_level: 9, algorithms: [gzip] }\n"))
        let top = CompressionConfig(algorithms: [.gzip], gzipLevel: 9)
        #expect(config.compression == top)
        let routes = Self.byName(config)
        #expect(routes["inherits"] == .some(top))
        #expect(routes["disabled"] == .some(nil), "compression: false turns it off even when the top level is on")
        // A route mapping is complete on its own: gzip_level and algorithms are the defaults, not 9 and [gzip].
        #expect(routes["own"] == .some(CompressionConfig(zstdLevel: 5)))
        #expect(routes["fixed"] == .some(nil), "top-level compression applies to upstream routes only")
        #expect(routes["moved"] == .some(nil))
    }

    @Test func withoutTopLevelOnlyRoutesThatAskCompress() throws {
        let routes = Self.byName(try Self.load(Self.inheritance("")))
        #expect(routes["inherits"] == .some(nil))
        #expect(routes["disabled"] == .some(nil))
        #expect(routes["own"] == .some(CompressionConfig(zstdLevel: 5)))
    }

    // MARK: - Diagnostics

    static let cases: [Case] = [
        Case(top("compression: fast\n"), line: 6, path: "compression", "expected true, false or a mapping, found \"fast\""),
        Case(top("compression:\n  gzip_levle: 1\n"), line: 7, path: "compression.gzip_levle", "did you mean \"gzip_level\"?"),
        Case(top("compression:\n  gzip_level: 0\n"), line: 7, path: "compression.gzip_level", "gzip_level must be between 1 and 9, found 0"),
        Case(route("    upstream: api\n    compression: { gzip_level: 10 }"), line: 7, path: "routes[0].compression.gzip_level",
             "gzip_level must be between 1 and 9, found 10"),
        Case(route("    upstream: api\n    compression: { brotli_level: 12 }"), line: 7, path: "routes[0].compression.brotli_level",
             "brotli_level must be between 0 and 11, found 12"),
        Case(route("    upstream: api\n    compression: { zstd_level: 0 }"), line: 7, path: "routes[0].compression.zstd_level",
             "zstd_level must be between 1 and 19, found 0"),
        Case(route("    upstream: api\n    compression: { zstd_level: 20 }"), line: 7, path: "routes[0].compression.zstd_level",
             "zstd_level must be between 1 and 19, found 20"),
        Case(route("    upstream: api\n    compression: { zstd_level: high }"), line: 7, path: "routes[0].compression.zstd_level",
             "expected an integer"),
        Case(route("    upstream: api\n    compression: { algorithms: [] }"), line: 7, path: "routes[0].compression.algorithms",
             "at least one algorithm is required (use compression: false to turn compression off)"),
        Case(route("    upstream: api\n    compression: { algorithms: [gzip, deflate] }"), line: 7, path: "routes[0].compression.algorithms[1]",
             "unknown algorithm \"deflate\""),
        Case(route("    upstream: api\n    compression: { algorithms: [gzp] }"), line: 7, path: "routes[0].compression.algorithms[0]",
             "unknown algorithm \"gzp\" (did you mean \"gzip\"?)"),
        Case(route("    upstream: api\n    compression: { algorithms: [br, brotli] }"), line: 7, path: "routes[0].compression.algorithms[1]",
             "duplicate algorithm \"br\""),
        Case(route("    upstream: api\n    compression: { min_length: -1 }"), line: 7, path: "routes[0].compression.min_length",
             "invalid size \"-1\""),
        Case(route("    upstream: api\n    compression: { types: [] }"), line: 7, path: "routes[0].compression.types",
             "at least one media type is required"),
        Case(route("    upstream: api\n    compression: { types: [html] }"), line: 7, path: "routes[0].compression.types[0]",
             "invalid media type \"html\" (use \"type/subtype\" or \"type/*\""),
        Case(route("    upstream: api\n    compression: { types: [\"text/htm*\"] }"), line: 7, path: "routes[0].compression.types[0]",
             "invalid media type \"text/htm*\""),
        Case(route("    upstream: api\n    compression: { types: [\"*/*\"] }"), line: 7, path: "routes[0].compression.types[0]",
             "media type \"*/*\" is too broad"),
        Case(route("    upstream: api\n    compression: { types: [\"text/html; charset=utf-8\"] }"), line: 7, path: "routes[0].compression.types[0]",
             "must not have parameters"),
        Case(route("    upstream: api\n    compression: { types: [text/html, TEXT/HTML] }"), line: 7, path: "routes[0].compression.types[1]",
             "duplicate media type \"text/html\""),
        Case(route("    redirect: { location: /x }\n    compression: true"), line: 7, path: "routes[0].compression",
             "compression is only allowed on routes with upstream (this route uses redirect: only responses from an upstream are compressed)"),
        Case(route("    upstream: api\n    compresion: true"), line: 7, path: "routes[0].compresion", "did you mean \"compression\"?"),
    ]

    @Test(arguments: cases) func diagnostic(_ testCase: Case) {
        ConfigDiagnosticsTests.expectOneDiagnostic(testCase)
    }
}
