import PorticoCore
import Testing

/// Decoding of the edge-security keys: `security:`, listener protection, body and
/// send limits, and the security keys of routes.
@Suite("Config security decoding")
struct ConfigSecurityTests {
    static func cidr(_ text: String) -> ConfigCIDR {
        guard let cidr = ConfigCIDR.parse(text) else { fatalError("not a CIDR: \(text)") }
        return cidr
    }

    static let secret = "0123456789abcdef0123456789abcdef"

    /// Every security key, each set away from its default.
    static let fullYAML = """
        security:
          trusted_proxies: [10.0.0.0/8, "::1"]
          client_ip_header: forwarded
          max_connections: 20000
          normalize_path: false
          reject_encoded_slash: false
          merge_slashes: false
          hide_backend_headers: true
        limits:
          max_body_size: 10MiB
        timeouts:
          client_send: 30s
          client_min_body_rate: 1KiB
        listeners:
          - address: "0.0.0.0:8080"
            proxy_protocol: true
            allow: [10.0.0.0/8]
            deny: [10.1.0.0/16]
            max_connections: 10000
            max_connections_per_ip: 100
        upstreams:
          - { name: app, servers: ["127.0.0.1:9001"] }
        routes:
          - name: api
            match: { path_prefix: /api }
            upstream: app
            allow: ["2001:db8::/32"]
            deny: 192.0.2.7
            max_body_size: 1MiB
            max_concurrent_requests: 100
            rate_limit:
              rate: 10/s
              burst: 20
              key: [client_ip, "header:X-Api-Key"]
              delay: 5
              max_keys: 1000
              status: 503
              headers: true
            auth:
              jwt:
                keys:
                  - algorithm: HS256
                    secret: "\(Self.secret)"
                    kid: one
                  - algorithm: HS512
                    secret_file: /etc/portico/hs.key
                  - algorithm: RS256
                    public_key_file: /etc/portico/jwt.pem
                    kid: two
                  - { algorithm: ES384, public_key_file: /etc/portico/ec.pem }
                audience: [api, web]
                issuer: https://issuer.example
                leeway: 30s
                forward_claims: { sub: X-User-Id, role: X-User-Role }
              strip_authorization: false
            deny_rules:
              - methods: [trace]
              - path_prefix: /admin
              - path_regex: "^/internal/.*\\\\.php$"
              - header: { name: X-Debug }
              - header: { name: X-Env, value: prod }
              - user_agent: "(?i)sqlmap|nikto"
              - { methods: [POST, PUT], path_prefix: /static }
            security_headers:
              hsts: "max-age=63072000; includeSubDomains; preload"
              content_type_options: nosniff
              frame_options: sameorigin
              referrer_policy: no-referrer
              content_security_policy: "default-src 'self'"
            error_pages:
              statuses: [500, 502, 503, 504]
          - name: admin
            upstream: app
            auth:
              basic:
                realm: Admins
                htpasswd: /etc/portico/users.htpasswd
          - name: site
            upstream: app
            max_body_size: off
            rate_limit: { rate: 0.5/m, key: route, delay: nodelay }
            auth:
              forward:
                url: http://auth.internal:9001/check?v=1
                copy_headers: [X-User-Id, X-User-Role]
                timeout: 2s
          - name: static
            respond: { status: 200 }
            security_headers: true
            max_body_size: 4k
        """

    @Test func fullDocumentDecodesToTheExactModel() throws {
        let config = try ConfigLoader.parse(yaml: Self.fullYAML, file: "security.yaml")
        #expect(config.security == SecurityConfig(
            trustedProxies: [Self.cidr("10.0.0.0/8"), Self.cidr("::1")],
            clientIPHeader: .forwarded,
            maxConnections: 20000,
            normalizePath: false,
            rejectEncodedSlash: false,
            mergeSlashes: false,
            hideBackendHeaders: true
        ))
        #expect(config.limits == LimitsConfig(maxBodySize: 10 * 1024 * 1024))
        #expect(config.timeouts == TimeoutsConfig(clientSend: .seconds(30), clientMinBodyRate: 1024))
        #expect(config.listeners == [ListenerConfig(
            name: "0.0.0.0:8080",
            address: HostPort(host: "0.0.0.0", port: 8080),
            proxyProtocol: true,
            access: IPAccessConfig(allow: [Self.cidr("10.0.0.0/8")], deny: [Self.cidr("10.1.0.0/16")]),
            maxConnections: 10000,
            maxConnectionsPerIP: 100
        )])

        let api = RouteConfig(
            name: "api",
            match: RouteMatch(pathPrefix: "/api"),
            action: .upstream("app"),
            access: IPAccessConfig(allow: [Self.cidr("2001:db8::/32")], deny: [Self.cidr("192.0.2.7")]),
            maxBodySize: .bytes(1024 * 1024),
            maxConcurrentRequests: 100,
            rateLimit: RateLimitConfig(
                requestsPerSecond: 10, rateText: "10/s", burst: 20, keys: [.clientIP, .header("X-Api-Key")],
                delay: 5, maxKeys: 1000, status: 503, headers: true
            ),
            auth: .jwt(JWTAuthConfig(
                keys: [
                    JWTKeyConfig(algorithm: .hs256, material: .secret(Self.secret), kid: "one"),
                    JWTKeyConfig(algorithm: .hs512, material: .secretFile("/etc/portico/hs.key")),
                    JWTKeyConfig(algorithm: .rs256, material: .publicKeyFile("/etc/portico/jwt.pem"), kid: "two"),
                    JWTKeyConfig(algorithm: .es384, material: .publicKeyFile("/etc/portico/ec.pem")),
                ],
                audiences: ["api", "web"],
                issuer: "https://issuer.example",
                leeway: .seconds(30),
                forwardClaims: [JWTClaimHeader(claim: "sub", header: "X-User-Id"), JWTClaimHeader(claim: "role", header: "X-User-Role")],
                stripAuthorization: false
            )),
            denyRules: [
                DenyRule(methods: ["TRACE"]),
                DenyRule(pathPrefix: "/admin"),
                DenyRule(pathRegex: "^/internal/.*\\.php$"),
                DenyRule(header: HeaderMatch(name: "X-Debug", value: nil)),
                DenyRule(header: HeaderMatch(name: "X-Env", value: "prod")),
                DenyRule(userAgentRegex: "(?i)sqlmap|nikto"),
                DenyRule(methods: ["POST", "PUT"], pathPrefix: "/static"),
            ],
            securityHeaders: SecurityHeadersConfig(fields: [
                HeaderRules.Field(name: "Strict-Transport-Security", value: "max-age=63072000; includeSubDomains; preload"),
                HeaderRules.Field(name: "X-Content-Type-Options", value: "nosniff"),
                HeaderRules.Field(name: "X-Frame-Options", value: "SAMEORIGIN"),
                HeaderRules.Field(name: "Referrer-Policy", value: "no-referrer"),
                HeaderRules.Field(name: "Content-Security-Policy", value: "default-src 'self'"),
            ]),
            errorPages: ErrorPagesConfig(statuses: [500, 502, 503, 504])
        )
        let admin = RouteConfig(
            name: "admin",
            action: .upstream("app"),
            auth: .basic(BasicAuthConfig(realm: "Admins", htpasswdPath: "/etc/portico/users.htpasswd"))
        )
        let site = RouteConfig(
            name: "site",
            action: .upstream("app"),
            maxBodySize: .unlimited,
            rateLimit: RateLimitConfig(requestsPerSecond: 0.5 / 60, rateText: "0.5/m", keys: [.route]),
            auth: .forward(ForwardAuthConfig(
                url: ForwardAuthURL(address: HostPort(host: "auth.internal", port: 9001), target: "/check?v=1"),
                copyHeaders: ["X-User-Id", "X-User-Role"],
                timeout: .seconds(2)
            ))
        )
        let fixed = RouteConfig(
            name: "static",
            action: .respond(status: 200, body: "", contentType: "text/plain; charset=utf-8"),
            maxBodySize: .bytes(4096),
            securityHeaders: .defaults
        )
        #expect(config.routes.count == 4)
        #expect(config.routes.first == api)
        #expect(config.routes.dropFirst().first == admin)
        #expect(config.routes.dropFirst(2).first == site)
        #expect(config.routes.last == fixed)

        #expect(config.routes[0].effectiveMaxBodySize(config.limits) == 1024 * 1024)
        #expect(config.routes[1].effectiveMaxBodySize(config.limits) == 10 * 1024 * 1024)
        #expect(config.routes[2].effectiveMaxBodySize(config.limits) == nil)
        #expect(config.routes[0].auth?.stripAuthorization == false)
        #expect(config.routes[1].auth?.stripAuthorization == true)
        #expect(config.routes[2].auth?.stripAuthorization == false)
    }

    static let minimalYAML = """
        listeners: [{ address: ":8080" }]
        upstreams: [{ name: app, servers: ["127.0.0.1:9001"] }]
        routes: [{ upstream: app }]
        """

    @Test func omittedKeysTakeTheModelDefaults() throws {
        let config = try ConfigLoader.parse(yaml: Self.minimalYAML, file: "m.yaml")
        #expect(config.security == SecurityConfig())
        #expect(config.security.trustedProxies.isEmpty)
        #expect(config.security.clientIPHeader == .xForwardedFor)
        #expect(config.security.maxConnections == nil)
        #expect(config.security.normalizePath && config.security.rejectEncodedSlash && config.security.mergeSlashes)
        #expect(!config.security.hideBackendHeaders)
        #expect(config.limits.maxBodySize == nil)
        #expect(config.timeouts.clientSend == .seconds(60))
        #expect(config.timeouts.clientMinBodyRate == 0)
        #expect(TimeoutsConfig.clientMinBodyRateGrace == .seconds(5))

        let listener = try #require(config.listeners.first)
        #expect(!listener.proxyProtocol)
        #expect(listener.access.isEmpty)
        #expect(listener.maxConnections == nil && listener.maxConnectionsPerIP == nil)

        let route = try #require(config.routes.first)
        #expect(route == RouteConfig(name: "route0", action: .upstream("app")))
        #expect(route.access.isEmpty)
        #expect(route.maxBodySize == nil && route.effectiveMaxBodySize(config.limits) == nil)
        #expect(route.maxConcurrentRequests == nil && route.rateLimit == nil && route.auth == nil)
        #expect(route.denyRules.isEmpty && route.securityHeaders == nil && route.errorPages == nil)
    }

    @Test func emptyAndNullValuesMeanTheDefaults() throws {
        let config = try ConfigLoader.parse(yaml: Self.minimalYAML + """

            security:
              trusted_proxies:
              max_connections:
            limits: { max_body_size: off }
            timeouts: { client_min_body_rate: 0 }
            """, file: "e.yaml")
        #expect(config.security == SecurityConfig())
        #expect(config.limits == LimitsConfig())
        #expect(config.timeouts == TimeoutsConfig())
    }

    /// A route with the brief's `rate_limit` block; `lines` are added to it.
    static func rateLimited(_ lines: String) -> String {
        """
        listeners: [{ address: ":8080" }]
        upstreams: [{ name: app, servers: ["127.0.0.1:9001"] }]
        routes:
          - upstream: app
            rate_limit:
        \(lines)
        """
    }

    static func decodeRoute(_ yaml: String) throws -> RouteConfig {
        try #require(try ConfigLoader.parse(yaml: yaml, file: "r.yaml").routes.first)
    }

    @Test func rateLimitDefaults() throws {
        let route = try Self.decodeRoute(Self.rateLimited("      rate: 100/m"))
        #expect(route.rateLimit == RateLimitConfig(requestsPerSecond: 100.0 / 60, rateText: "100/m"))
        let limit = try #require(route.rateLimit)
        #expect(limit.burst == 0 && limit.keys == [.clientIP] && limit.delay == 0)
        #expect(limit.maxKeys == 100_000 && limit.status == 429 && !limit.headers)
    }

    @Test(arguments: [
        ("10/s", 10.0), ("0.5/s", 0.5), ("60/m", 1.0), ("3600/h", 1.0), ("1.5/m", 0.025), ("\"7/s\"", 7.0),
    ] as [(String, Double)])
    func rateForms(text: String, perSecond: Double) throws {
        let limit = try #require(try Self.decodeRoute(Self.rateLimited("      rate: \(text)")).rateLimit)
        #expect(abs(limit.requestsPerSecond - perSecond) < 1e-12)
    }

    @Test(arguments: [
        ("client_ip", [RateLimitKey.clientIP]), ("route", [.route]), ("\"header:X-Api-Key\"", [.header("X-Api-Key")]),
        ("[client_ip, \"header:X-Api-Key\"]", [.clientIP, .header("X-Api-Key")]),
        ("[\"header:A\", \"header:B\"]", [.header("A"), .header("B")]),
    ] as [(String, [RateLimitKey])])
    func rateLimitKeyForms(text: String, keys: [RateLimitKey]) throws {
        let limit = try #require(try Self.decodeRoute(Self.rateLimited("      rate: 1/s\n      key: \(text)")).rateLimit)
        #expect(limit.keys == keys)
    }

    /// A route with `security_headers:` set to `value`.
    static func headers(_ value: String) throws -> SecurityHeadersConfig? {
        try decodeRoute("""
            listeners: [{ address: ":8080" }]
            routes:
              - respond: { status: 200 }
                security_headers: \(value)
            """).securityHeaders
    }

    @Test func securityHeadersTrueFalseAndEmpty() throws {
        #expect(try Self.headers("true") == .defaults)
        #expect(try Self.headers("false") == nil)
        #expect(try Self.headers("") == .defaults)
        #expect(try Self.headers("{}") == .defaults)
        #expect(SecurityHeadersConfig.defaults.fields == [
            HeaderRules.Field(name: "Strict-Transport-Security", value: "max-age=31536000; includeSubDomains"),
            HeaderRules.Field(name: "X-Content-Type-Options", value: "nosniff"),
            HeaderRules.Field(name: "X-Frame-Options", value: "DENY"),
            HeaderRules.Field(name: "Referrer-Policy", value: "strict-origin-when-cross-origin"),
        ])
    }

    @Test func securityHeadersMappingOverridesSingleHeaders() throws {
        let noHSTS = try #require(try Self.headers("{ hsts: false }"))
        #expect(noHSTS.fields.map(\.name) == ["X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"])

        let mapped = try #require(try Self.headers("{ frame_options: false, referrer_policy: \"no-referrer, strict-origin\", content_security_policy: \"default-src 'none'\" }"))
        #expect(mapped.fields == [
            HeaderRules.Field(name: "Strict-Transport-Security", value: SecurityHeadersConfig.defaultHSTS),
            HeaderRules.Field(name: "X-Content-Type-Options", value: "nosniff"),
            HeaderRules.Field(name: "Referrer-Policy", value: "no-referrer, strict-origin"),
            HeaderRules.Field(name: "Content-Security-Policy", value: "default-src 'none'"),
        ])

        let allOff = try #require(try Self.headers("{ hsts: false, content_type_options: false, frame_options: false, referrer_policy: false }"))
        #expect(allOff.fields.isEmpty)
        #expect(try Self.headers("{ hsts: true }") == .defaults)
    }

    @Test func errorPagesForms() throws {
        func pages(_ value: String) throws -> ErrorPagesConfig? {
            try Self.decodeRoute(Self.minimalYAML.replacingOccurrences("{ upstream: app }", "{ upstream: app, error_pages: \(value) }")).errorPages
        }
        #expect(try pages("true") == ErrorPagesConfig(statuses: [500, 502, 503, 504]))
        #expect(try pages("false") == nil)
        #expect(try pages("{}") == ErrorPagesConfig())
        #expect(try pages("{ statuses: 502 }") == ErrorPagesConfig(statuses: [502]))
        #expect(try pages("{ statuses: [404, 599] }") == ErrorPagesConfig(statuses: [404, 599]))
    }

    @Test func listenerAndRouteListForms() throws {
        let config = try ConfigLoader.parse(yaml: """
            listeners:
              - address: ":8080"
                allow: 127.0.0.1
                deny: []
                max_connections:
            routes:
              - respond: { status: 200 }
                deny: ["::ffff:192.0.2.0/120", "fe80::/10"]
            """, file: "l.yaml")
        #expect(config.listeners.first?.access == IPAccessConfig(allow: [Self.cidr("127.0.0.1")]))
        #expect(config.listeners.first?.maxConnections == nil)
        #expect(config.routes.first?.access.deny.map(\.description) == ["::ffff:192.0.2.0/120", "fe80::/10"])
    }

    @Test func forwardAuthURLForms() {
        #expect(ForwardAuthURL.parse("http://127.0.0.1:9001/check") == ForwardAuthURL(address: HostPort(host: "127.0.0.1", port: 9001), target: "/check"))
        #expect(ForwardAuthURL.parse("http://Auth.Internal") == ForwardAuthURL(address: HostPort(host: "auth.internal", port: 80), target: "/"))
        #expect(ForwardAuthURL.parse("HTTP://[::1]:81?x=1") == ForwardAuthURL(address: HostPort(host: "::1", port: 81), target: "/?x=1"))
        #expect(ForwardAuthURL.parse("http://[::1]:81/a")?.description == "http://[::1]:81/a")
        for bad in ["https://a/check", "a:80/check", "http://", "http://:80/", "http://u@a/", "http://a/#x", "http://a:0/", "http://a/b c", "http://::1/"] {
            #expect(ForwardAuthURL.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func inlineSecretsAreNotPrinted() {
        #expect(JWTKeyMaterial.secret(Self.secret).description == "secret(<redacted>)")
        #expect("\(JWTKeyMaterial.secretFile("/k"))" == "secretFile(/k)")
    }

    /// The routes of the shipped example, as the brief's YAML shape describes them.
    @Test func shippedExampleDecodes() throws {
        let config = try ConfigLoader.load(path: ConfigExamplesTests.examplesDirectory + "/security.yaml")
        #expect(config.security.trustedProxies.map(\.text) == ["10.0.0.0/8", "::1"])
        #expect(config.security.maxConnections == 20000)
        #expect(config.security.hideBackendHeaders)
        #expect(config.limits.maxBodySize == 10 * 1024 * 1024)
        #expect(config.timeouts.clientMinBodyRate == 1024)
        #expect(config.listeners.first?.maxConnectionsPerIP == 100)
        let api = try #require(config.routes.first { $0.name == "api" })
        #expect(api.rateLimit?.keys == [.clientIP, .header("X-Api-Key")])
        #expect(api.securityHeaders == .defaults)
        guard case .jwt(let jwt) = api.auth else {
            Issue.record("api route should use jwt auth")
            return
        }
        #expect(jwt.keys.map(\.algorithm) == [.hs256, .rs256])
        let admin = try #require(config.routes.first { $0.name == "admin" })
        #expect(admin.auth == .basic(BasicAuthConfig(realm: "Restricted", htpasswdPath: "/etc/portico/users.htpasswd")))
        let site = try #require(config.routes.first { $0.name == "site" })
        #expect(site.denyRules.count == 7)
        #expect(site.securityHeaders?.fields.count == 5)
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
