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
    ])
    func routes(_ method: String, _ target: String, _ expected: Outcome) {
        #expect(AdminRouter.route(method: method, target: target) == expected)
    }

    @Test func tokenIsRequiredExceptOnProbesAndThePageShell() {
        #expect(!AdminEndpoint.healthz.requiresToken)
        #expect(!AdminEndpoint.readyz.requiresToken)
        #expect(!AdminEndpoint.statusPage.requiresToken)
        for endpoint: AdminEndpoint in [.metrics, .config, .upstreams, .reload, .reloads, .stats,
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

    @Test func durationsUseTheConfigurationSyntax() {
        #expect(ConfigJSON.duration(.seconds(10)) == .string("10s"))
        #expect(ConfigJSON.duration(.milliseconds(250)) == .string("250ms"))
        #expect(ConfigJSON.duration(.milliseconds(1500)) == .string("1500ms"))
    }
}
