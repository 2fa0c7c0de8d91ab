import PorticoCore
import PorticoServer
import Testing

/// The admin listener's pure parts: routing, token checks, JSON text and config
/// redaction (no sockets).
@Suite("Admin router")
struct AdminRouterTests {
    typealias Outcome = AdminRouter.Outcome

    @Test(arguments: [
        ("GET", "/", Outcome.endpoint(.statusPage)),
        ("GET", "/?refresh=1", .endpoint(.statusPage)),
        ("HEAD", "/metrics", .endpoint(.metrics)),
        ("GET", "/healthz", .endpoint(.healthz)),
        ("GET", "/readyz", .endpoint(.readyz)),
        ("GET", "/api/config", .endpoint(.config)),
        ("GET", "/api/upstreams/", .endpoint(.upstreams)),
        ("GET", "/api/reloads", .endpoint(.reloads)),
        ("GET", "/api/stats", .endpoint(.stats)),
        ("POST", "/api/reload", .endpoint(.reload)),
        ("POST", "/api/upstreams/app/servers/10.0.0.1:8080/drain",
         .endpoint(.serverAction(group: "app", server: "10.0.0.1:8080", action: .drain))),
        ("POST", "/api/upstreams/my%20app/servers/%5B%3A%3A1%5D%3A80/disable",
         .endpoint(.serverAction(group: "my app", server: "[::1]:80", action: .disable))),
        ("POST", "/api/upstreams/app/servers/10.0.0.1:8080/undrain",
         .endpoint(.serverAction(group: "app", server: "10.0.0.1:8080", action: .undrain))),
        ("POST", "/api/upstreams/app/servers/10.0.0.1:8080/enable",
         .endpoint(.serverAction(group: "app", server: "10.0.0.1:8080", action: .enable))),
        ("GET", "/api/upstreams/app/servers/10.0.0.1:8080/drain", .methodNotAllowed(allow: ["POST"])),
        ("POST", "/api/config", .methodNotAllowed(allow: ["GET", "HEAD"])),
        ("DELETE", "/", .methodNotAllowed(allow: ["GET", "HEAD"])),
        ("GET", "/api/reload", .methodNotAllowed(allow: ["POST"])),
        ("POST", "/api/upstreams/app/servers/10.0.0.1:8080/reboot", .notFound),
        ("POST", "/api/upstreams//servers/10.0.0.1:8080/drain", .notFound),
        ("GET", "/api", .notFound),
        ("GET", "/metricsx", .notFound),
        ("GET", "*", .notFound),
        ("POST", "/api/upstreams/a%zz/servers/x/drain", .badRequest("invalid percent-encoding in the path")),
        ("GET", "/api/cache", .endpoint(.cacheStatus)),
        ("HEAD", "/api/cache/", .endpoint(.cacheStatus)),
        ("POST", "/api/cache", .methodNotAllowed(allow: ["GET", "HEAD"])),
        ("POST", "/api/cache/purge?url=https%3A%2F%2Fexample.com%2Fa%3Fb%3Dc", .endpoint(.cachePurge(.url("https://example.com/a?b=c")))),
        ("POST", "/api/cache/purge?url=https://example.com/a+b", .endpoint(.cachePurge(.url("https://example.com/a+b")))),
        ("POST", "/api/cache/purge?prefix=https://example.com/static/", .endpoint(.cachePurge(.prefix("https://example.com/static/")))),
        ("POST", "/api/cache/purge/?&prefix=http://h/&", .endpoint(.cachePurge(.prefix("http://h/")))),
        ("GET", "/api/cache/purge?url=https://example.com/", .methodNotAllowed(allow: ["POST"])),
        ("DELETE", "/api/cache/purge", .methodNotAllowed(allow: ["POST"])),
        ("POST", "/api/cache/purge",
         .badRequest("nothing to purge: give exactly one of url=<absolute URL> or prefix=<URL prefix>, percent-encoded")),
        ("POST", "/api/cache/purge?url=https://a/&prefix=https://a/",
         .badRequest("url and prefix are both given: give exactly one of url=<absolute URL> or prefix=<URL prefix>, percent-encoded")),
        ("POST", "/api/cache/purge?url=https://a/&url=https://b/",
         .badRequest("url is given more than once; give exactly one of url=<absolute URL> or prefix=<URL prefix>, percent-encoded")),
        ("POST", "/api/cache/purge?host=a",
         .badRequest("unknown parameter \"host\"; give exactly one of url=<absolute URL> or prefix=<URL prefix>, percent-encoded")),
        ("POST", "/api/cache/purge?url=/static/app.js", .badRequest("url must be an absolute URL such as https://example.com/page")),
        ("POST", "/api/cache/purge?prefix=example.com/",
         .badRequest("prefix must start with a scheme and host, such as https://example.com/static/")),
        ("POST", "/api/cache/purge?prefix=https://", .badRequest("prefix must start with a scheme and host, such as https://example.com/static/")),
        ("POST", "/api/cache/purge?url=https://a/%G0", .badRequest("invalid percent-encoding in the url parameter")),
        ("POST", "/api/cache/purges", .notFound),
    ])
    func routes(_ method: String, _ target: String, _ expected: Outcome) {
        #expect(AdminRouter.route(method: method, target: target) == expected)
    }

    @Test func tokenIsRequiredExceptOnProbesAndThePageShell() {
        #expect(!AdminEndpoint.healthz.requiresToken)
        #expect(!AdminEndpoint.readyz.requiresToken)
        #expect(!AdminEndpoint.statusPage.requiresToken)
        for endpoint: AdminEndpoint in [.metrics, .config, .upstreams, .reload, .reloads, .stats, .cacheStatus,
                                        .cachePurge(.url("https://a/")), .cachePurge(.prefix("https://a/")),
                                        .serverAction(group: "a", server: "b", action: .drain)] {
            #expect(endpoint.requiresToken)
        }
    }

    @Test func bearerTokenCheck() {
        typealias Auth = AdminAuthorization
        #expect(Auth.check(authorization: "Bearer abc", token: "abc") == .allowed)
        #expect(Auth.check(authorization: "bearer  abc ", token: "abc") == .allowed)
        #expect(Auth.check(authorization: "Bearer abd", token: "abc") == .invalid)
        #expect(Auth.check(authorization: "Bearer ab", token: "abc") == .invalid)
        #expect(Auth.check(authorization: "Bearer abcd", token: "abc") == .invalid)
        #expect(Auth.check(authorization: "Basic YTpi", token: "abc") == .missing)
        #expect(Auth.check(authorization: "Bearer", token: "abc") == .missing)
        #expect(Auth.check(authorization: nil, token: "abc") == .missing)
    }

    @Test func jsonTextIsEscaped() {
        let value = AdminJSON.object([
            ("s", .string("a\"b\\c\n<x>\u{01}\u{2028}")),
            ("n", .null), ("t", .bool(true)), ("i", .int(-3)),
            ("d", .double(1.5)), ("whole", .double(2)), ("nan", .double(.nan)),
            ("list", .array([.int(1), .string("x")])),
        ])
        #expect(value.rendered == #"{"s":"a\"b\\c\n<x>\u0001\u2028","n":null,"t":true,"i":-3,"d":1.5,"whole":2,"nan":null,"list":[1,"x"]}"#)
    }

    static let secretConfig = """
        listeners: [{ address: "127.0.0.1:8080" }]
        upstreams:
          - name: app
            servers: ["127.0.0.1:9001", { address: "127.0.0.1:9002", weight: 3, backup: true }]
            health_check: { path: /health }
            retries: { attempts: 2 }
        routes:
          - name: jwt
            match: { path_prefix: /api }
            upstream: app
            auth:
              jwt:
                keys: [{ algorithm: HS256, secret: "JWT-SECRET-0123456789abcdef0123456789" }]
            request_headers:
              set: { Authorization: "Bearer UPSTREAM-SECRET", X-Plain: visible }
          - name: basic
            match: { path_prefix: /basic }
            upstream: app
            auth:
              basic: { htpasswd: /etc/portico/HTPASSWD-PATH }
          - name: forward
            match: { path_prefix: /fwd }
            upstream: app
            auth:
              forward: { url: "http://auth.internal:9000/check?key=FORWARD-SECRET" }
          - name: fixed
            respond: { status: 200, body: hello }
        admin:
          address: "0.0.0.0:9901"
          token: ADMIN-SECRET
        """

    @Test func configJSONRedactsEverySecret() throws {
        let config = try ConfigLoader.parse(yaml: Self.secretConfig, file: "test.yaml")
        let json = ConfigJSON.encode(config).rendered
        for secret in ["JWT-SECRET", "UPSTREAM-SECRET", "HTPASSWD-PATH", "FORWARD-SECRET", "ADMIN-SECRET"] {
            #expect(!json.contains(secret), "\(secret) leaked: \(json)")
        }
        #expect(json.contains(#""auth":{"kind":"jwt","credentials":"<redacted>"}"#))
        #expect(json.contains(#""auth":{"kind":"basic","credentials":"<redacted>"}"#))
        #expect(json.contains(#""auth":{"kind":"forward","credentials":"<redacted>"}"#))
        #expect(json.contains(#"{"name":"Authorization","value":"<redacted>"}"#))
        #expect(json.contains(#"{"name":"X-Plain","value":"visible"}"#))
        #expect(json.contains(#""admin":{"address":"0.0.0.0:9901","token":"<redacted>"}"#))
        #expect(json.contains(#"{"address":"127.0.0.1:9002","weight":3,"max_connections":null,"backup":true,"slow_start":null}"#))
        #expect(json.contains(#""health_check":{"method":"GET","path":"/health""#))
        #expect(json.contains(#""retries":{"attempts":2"#))
        #expect(json.contains(#""match":{"path_prefix":"/api"}"#))
        #expect(json.contains(#""timeouts":{"client_header":"10s""#))
        #expect(json.contains(#""access_log":{"output":"stdout","format":"text","fields":null,"buffer_limit":8388608}"#))
        #expect(json.contains(#""request_id":{"accept_incoming":true,"response_header":"always"}"#))
    }

    @Test func configJSONShowsCacheAndCompression() throws {
        let yaml = """
            listeners: [{ address: ":8080" }]
            upstreams: [{ name: app, servers: ["127.0.0.1:9001"] }]
            cache: { memory_size: 64m, max_object_size: 1m, disk: { path: /nonexistent/portico-cache, max_size: 128m } }
            compression: { algorithms: [gzip], min_length: 0 }
            routes:
              - name: cached
                upstream: app
                cache: { key: [header:X-Tenant], collapse_timeout: 250ms }
                compression: false
              - name: plain
                upstream: app
            """
        let json = ConfigJSON.encode(try ConfigLoader.parse(yaml: yaml, file: "test.yaml")).rendered
        #expect(json.contains(#""cache":{"memory_size":67108864,"max_object_size":1048576,"disk":{"path":"/nonexistent/portico-cache","max_size":134217728}}"#))
        #expect(json.contains(#""compression":{"algorithms":["gzip"],"gzip_level":6,"brotli_level":4,"zstd_level":3,"min_length":0,"types":["text/html""#))
        #expect(json.contains(#""cache":{"key":["header:X-Tenant"],"heuristic_fraction":0.1,"heuristic_max":"86400s","default_ttl":"0s","#
            + #""ignore_client_no_cache":false,"stale_if_upstream_down":"0s","collapse":true,"collapse_timeout":"250ms","status_header":true}"#))
        // The `cached` route turned compression off; `plain` inherits the top level.
        #expect(json.split(separator: #""compression":{"algorithms":["gzip"]"#, omittingEmptySubsequences: false).count == 3)
    }

    @Test func durationsUseTheConfigurationSyntax() {
        #expect(ConfigJSON.duration(.seconds(10)) == .string("10s"))
        #expect(ConfigJSON.duration(.milliseconds(250)) == .string("250ms"))
        #expect(ConfigJSON.duration(.milliseconds(1500)) == .string("1500ms"))
    }
}
