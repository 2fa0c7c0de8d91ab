import PorticoCore
import Testing

/// Bad security settings: one precise diagnostic each, and every problem at once.
@Suite("Config security diagnostics")
struct ConfigSecurityDiagnosticsTests {
    typealias Case = ConfigDiagnosticsTests.Case

    /// Lines 1–5 are a valid document; top-level snippets start at line 6.
    static func top(_ lines: String) -> String { ConfigDiagnosticsTests.base + lines }

    /// A document whose only listener continues with `lines` from line 5.
    static func listener(_ lines: String) -> String {
        """
        upstreams: [{ name: app, servers: ["127.0.0.1:9001"] }]
        routes: [{ upstream: app }]
        listeners:
          - address: ":8080"
        \(lines)
        """
    }

    /// A document whose only route (`upstream: app`) continues with `lines` from line 6.
    static func route(_ lines: String) -> String {
        """
        listeners: [{ address: ":8080" }]
        upstreams: [{ name: app, servers: ["127.0.0.1:9001"] }]
        routes:
          - name: r
            upstream: app
        \(lines)
        """
    }

    static let longSecret = "0123456789abcdef0123456789abcdef"

    static let cases: [Case] = [
        // security:
        Case(top("security:\n  trusted_proxies: [10.0.0.0/33]\n"), line: 7, path: "security.trusted_proxies[0]",
             "invalid CIDR \"10.0.0.0/33\": prefix length 33 is out of range for IPv4 (0-32)"),
        Case(top("security:\n  trusted_proxies: [1.2.3.4.5]\n"), line: 7, path: "security.trusted_proxies[0]",
             "invalid CIDR \"1.2.3.4.5\": \"1.2.3.4.5\" is not an IPv4 address (expected four numbers 0-255 separated by dots)"),
        Case(top("security:\n  trusted_proxies: 10.1.0.0/8\n"), line: 7, path: "security.trusted_proxies",
             "bits are set after the /8 prefix (the network is 10.0.0.0/8; check the prefix length)"),
        Case(top("security:\n  trusted_proxies: [localhost]\n"), line: 7, path: "security.trusted_proxies[0]", "host names are not allowed"),
        Case(top("security:\n  trusted_proxies: [\"2001:db8::/129\"]\n"), line: 7, path: "security.trusted_proxies[0]", "prefix length 129 is out of range for IPv6 (0-128)"),
        Case(top("security:\n  trusted_proxies: [\"fe80::1%eth0\"]\n"), line: 7, path: "security.trusted_proxies[0]", "zone identifiers"),
        Case(top("security:\n  trusted_proxies: [\"\"]\n"), line: 7, path: "security.trusted_proxies[0]", "network must not be empty"),
        Case(top("security:\n  trusted_proxies: { a: 1 }\n"), line: 7, path: "security.trusted_proxies", "expected a string or a sequence of strings, found a mapping"),
        Case(top("security:\n  trused_proxies: []\n"), line: 7, path: "security.trused_proxies", "unknown key \"trused_proxies\" (did you mean \"trusted_proxies\"?)"),
        Case(top("security:\n  trusted_proxy: []\n"), line: 7, path: "security.trusted_proxy", "unknown key \"trusted_proxy\""),
        Case(top("security:\n  client_ip_header: x-forwarded-fr\n"), line: 7, path: "security.client_ip_header", "did you mean \"x-forwarded-for\"?"),
        Case(top("security:\n  client_ip_header: x-real-ip\n"), line: 7, path: "security.client_ip_header", "unknown client_ip_header \"x-real-ip\" (expected one of: x-forwarded-for, forwarded)"),
        Case(top("security:\n  max_connections: 0\n"), line: 7, path: "security.max_connections", "max_connections must be at least 1, found 0 (leave it out for no limit)"),
        Case(top("security:\n  max_connections: lots\n"), line: 7, path: "security.max_connections", "expected an integer, found \"lots\""),
        Case(top("security:\n  normalize_path: \"yes\"\n"), line: 7, path: "security.normalize_path", "expected true or false"),
        Case(top("security:\n  hide_backend_header: true\n"), line: 7, path: "security.hide_backend_header", "did you mean \"hide_backend_headers\"?"),
        Case(top("security: true\n"), line: 6, path: "security", "expected a mapping, found \"true\""),
        Case(top("securty: {}\n"), line: 6, path: "securty", "did you mean \"security\"?"),
        // limits and timeouts
        Case(top("limits:\n  max_body_size: 0\n"), line: 7, path: "limits.max_body_size", "size must be greater than 0 (use off for no limit)"),
        Case(top("limits:\n  max_body_size: 10XB\n"), line: 7, path: "limits.max_body_size", "invalid size \"10XB\""),
        Case(top("limits:\n  max_body_size: true\n"), line: 7, path: "limits.max_body_size", "expected a size or off, found \"true\""),
        Case(top("limits:\n  max_body_sise: 1k\n"), line: 7, path: "limits.max_body_sise", "did you mean \"max_body_size\"?"),
        Case(top("timeouts:\n  client_send: 0s\n"), line: 7, path: "timeouts.client_send", "duration must be greater than 0"),
        Case(top("timeouts:\n  client_send: slow\n"), line: 7, path: "timeouts.client_send", "invalid duration \"slow\""),
        Case(top("timeouts:\n  client_min_body_rate: fast\n"), line: 7, path: "timeouts.client_min_body_rate", "invalid byte rate \"fast\""),
        Case(top("timeouts:\n  client_min_body_rate: 1KiB/m\n"), line: 7, path: "timeouts.client_min_body_rate", "invalid byte rate \"1KiB/m\""),
        Case(top("timeouts:\n  client_min_rate: 512\n"), line: 7, path: "timeouts.client_min_rate", "unknown key \"client_min_rate\""),
        // listeners
        Case(listener("    allow: [10.0.0.0/33]"), line: 5, path: "listeners[0].allow[0]", "prefix length 33 is out of range"),
        Case(listener("    allow: []"), line: 5, path: "listeners[0].allow", "allow list must not be empty (leave out allow to admit every client)"),
        Case(listener("    allow:"), line: 5, path: "listeners[0].allow", "allow list must not be empty"),
        Case(listener("    deny: [1.2.3.4.5]"), line: 5, path: "listeners[0].deny[0]", "is not an IPv4 address"),
        Case(listener("    deny: [\"2001:db8::1/32\"]"), line: 5, path: "listeners[0].deny[0]", "(the network is 2001:db8::/32;"),
        Case(listener("    alow: [10.0.0.0/8]"), line: 5, path: "listeners[0].alow", "did you mean \"allow\"?"),
        Case(listener("    proxy_protocol: v2"), line: 5, path: "listeners[0].proxy_protocol", "expected true or false, found \"v2\""),
        Case(listener("    max_connections: 0"), line: 5, path: "listeners[0].max_connections", "max_connections must be at least 1, found 0"),
        Case(listener("    max_connections_per_ip: 0"), line: 5, path: "listeners[0].max_connections_per_ip", "max_connections_per_ip must be at least 1, found 0"),
        Case(listener("    max_conections: 5"), line: 5, path: "listeners[0].max_conections", "did you mean \"max_connections\"?"),
        // routes: access, sizes, concurrency
        Case(route("    allow: [10.0.0.0/33]"), line: 6, path: "routes[0].allow[0]", "prefix length 33 is out of range"),
        Case(route("    deny: 300.0.0.0/8"), line: 6, path: "routes[0].deny", "\"300\" in \"300.0.0.0\" is out of range (0-255)"),
        Case(route("    max_body_size: 0"), line: 6, path: "routes[0].max_body_size", "size must be greater than 0 (use off for no limit)"),
        Case(route("    max_body_size:"), line: 6, path: "routes[0].max_body_size", "expected a size or off, found an empty value"),
        Case(route("    max_concurrent_requests: 0"), line: 6, path: "routes[0].max_concurrent_requests", "max_concurrent_requests must be at least 1, found 0"),
        Case(route("    max_concurent_requests: 5"), line: 6, path: "routes[0].max_concurent_requests", "did you mean \"max_concurrent_requests\"?"),
        // rate_limit
        Case(route("    rate_limit: { rate: 10/x }"), line: 6, path: "routes[0].rate_limit.rate", "unknown rate unit \"x\" in \"10/x\" (use /s, /m or /h)"),
        Case(route("    rate_limit: { rate: 0/s }"), line: 6, path: "routes[0].rate_limit.rate", "rate must be greater than 0, found \"0/s\""),
        Case(route("    rate_limit: { rate: 0.0/m }"), line: 6, path: "routes[0].rate_limit.rate", "rate must be greater than 0"),
        Case(route("    rate_limit: { rate: 10r/s }"), line: 6, path: "routes[0].rate_limit.rate", "(write \"10/s\", without nginx's \"r\")"),
        Case(route("    rate_limit: { rate: fast }"), line: 6, path: "routes[0].rate_limit.rate", "invalid rate \"fast\" (use e.g. \"10/s\""),
        Case(route("    rate_limit: { rate: 10 }"), line: 6, path: "routes[0].rate_limit.rate", "invalid rate \"10\""),
        Case(route("    rate_limit: { rate: \"-1/s\" }"), line: 6, path: "routes[0].rate_limit.rate", "invalid rate \"-1/s\""),
        Case(route("    rate_limit: { rate: 1e3/s }"), line: 6, path: "routes[0].rate_limit.rate", "invalid rate \"1e3/s\""),
        Case(route("    rate_limit: { rate: .5/s }"), line: 6, path: "routes[0].rate_limit.rate", "invalid rate \".5/s\""),
        Case(route("    rate_limit: { burst: 5 }"), line: 6, path: "routes[0].rate_limit", "missing required key \"rate\" in rate_limit"),
        Case(route("    rate_limit: { rate: 1/s, key: \"header:\" }"), line: 6, path: "routes[0].rate_limit.key",
             "key \"header:\" needs a header name after \"header:\", as in \"header:X-Api-Key\""),
        Case(route("    rate_limit: { rate: 1/s, key: \"header:X Y\" }"), line: 6, path: "routes[0].rate_limit.key", "invalid header name \"X Y\""),
        Case(route("    rate_limit: { rate: 1/s, key: client-ip }"), line: 6, path: "routes[0].rate_limit.key", "unknown rate_limit key \"client-ip\" (did you mean \"client_ip\"?)"),
        Case(route("    rate_limit: { rate: 1/s, key: [client_ip, heder:X-Id] }"), line: 6, path: "routes[0].rate_limit.key[1]", "(did you mean \"header:X-Id\"?)"),
        Case(route("    rate_limit: { rate: 1/s, key: cookie }"), line: 6, path: "routes[0].rate_limit.key", "(expected client_ip, route or \"header:NAME\")"),
        Case(route("    rate_limit: { rate: 1/s, key: [] }"), line: 6, path: "routes[0].rate_limit.key", "key list must not be empty"),
        Case(route("    rate_limit: { rate: 1/s, key: [client_ip, client_ip] }"), line: 6, path: "routes[0].rate_limit.key[1]", "duplicate rate_limit key \"client_ip\""),
        Case(route("    rate_limit: { rate: 1/s, key: [\"header:X-A\", \"header:x-a\"] }"), line: 6, path: "routes[0].rate_limit.key[1]", "duplicate rate_limit key"),
        Case(route("    rate_limit: { rate: 1/s, key: [route, client_ip] }"), line: 6, path: "routes[0].rate_limit.key", "key route cannot be combined with other keys"),
        Case(route("    rate_limit: { rate: 1/s, status: 200 }"), line: 6, path: "routes[0].rate_limit.status", "rate_limit status must be between 400 and 599, found 200"),
        Case(route("    rate_limit: { rate: 1/s, delay: soon }"), line: 6, path: "routes[0].rate_limit.delay", "expected an integer >= 0 or \"nodelay\", found \"soon\""),
        Case(route("    rate_limit: { rate: 1/s, delay: -1 }"), line: 6, path: "routes[0].rate_limit.delay", "delay must be at least 0, found -1"),
        Case(route("    rate_limit: { rate: 1/s, burst: -1 }"), line: 6, path: "routes[0].rate_limit.burst", "burst must be at least 0, found -1"),
        Case(route("    rate_limit: { rate: 1/s, max_keys: 0 }"), line: 6, path: "routes[0].rate_limit.max_keys", "max_keys must be at least 1, found 0"),
        Case(route("    rate_limit: { rate: 1/s, headers: 1 }"), line: 6, path: "routes[0].rate_limit.headers", "expected true or false"),
        Case(route("    rate_limit: { rate: 1/s, brust: 5 }"), line: 6, path: "routes[0].rate_limit.brust", "did you mean \"burst\"?"),
        // auth: kinds
        Case(route("    auth:\n      basic: { htpasswd: /a }\n      jwt: { keys: [{ algorithm: RS256, public_key_file: /k }] }"),
             line: 8, path: "routes[0].auth.jwt", "auth takes exactly one of basic, jwt or forward, found \"basic\", \"jwt\""),
        Case(route("    auth: {}"), line: 6, path: "routes[0].auth", "auth needs one of basic, jwt or forward"),
        Case(route("    auth: { strip_authorization: true }"), line: 6, path: "routes[0].auth", "auth needs one of basic, jwt or forward"),
        Case(route("    auth: { basci: { htpasswd: /a } }"), line: 6, path: "routes[0].auth.basci", "did you mean \"basic\"?"),
        Case(route("    auth: { basic: { htpasswd: /a }, strip_authorization: \"no\" }"), line: 6, path: "routes[0].auth.strip_authorization", "expected true or false"),
        // auth: basic
        Case(route("    auth: { basic: { realm: x } }"), line: 6, path: "routes[0].auth.basic", "missing required key \"htpasswd\" in basic auth"),
        Case(route("    auth: { basic: { htpasswd: \"\" } }"), line: 6, path: "routes[0].auth.basic.htpasswd", "htpasswd must not be empty"),
        Case(route("    auth: { basic: { htpasswd: /a, realm: \"a\\\"b\" } }"), line: 6, path: "routes[0].auth.basic.realm", "realm must not contain \" or \\"),
        Case(route("    auth: { basic: { htpasswd: /a, relm: x } }"), line: 6, path: "routes[0].auth.basic.relm", "did you mean \"realm\"?"),
        // auth: jwt keys
        Case(route("    auth: { jwt: { keys: [{ algorithm: HS256 }] } }"), line: 6, path: "routes[0].auth.jwt.keys[0]", "HS256 needs secret or secret_file"),
        Case(route("    auth: { jwt: { keys: [{ algorithm: RS256, secret: x, public_key_file: /k }] } }"), line: 6, path: "routes[0].auth.jwt.keys[0].secret",
             "secret is only for HS256, HS384 and HS512 keys; RS256 needs public_key_file"),
        Case(route("    auth: { jwt: { keys: [{ algorithm: ES256 }] } }"), line: 6, path: "routes[0].auth.jwt.keys[0]", "ES256 needs public_key_file"),
        Case(route("    auth: { jwt: { keys: [{ algorithm: HS256, secret: \(longSecret), secret_file: /k }] } }"), line: 6, path: "routes[0].auth.jwt.keys[0].secret_file",
             "give either secret or secret_file, not both"),
        Case(route("    auth: { jwt: { keys: [{ algorithm: HS384, secret_file: /k, public_key_file: /p }] } }"), line: 6, path: "routes[0].auth.jwt.keys[0].public_key_file",
             "public_key_file is only for RS* and ES* keys; HS384 needs secret or secret_file"),
        Case(route("    auth: { jwt: { keys: [{ algorithm: HS256, secret: short }] } }"), line: 6, path: "routes[0].auth.jwt.keys[0].secret",
             "a HS256 secret must be at least 32 bytes (RFC 7518 §3.2), found 5"),
        Case(route("    auth: { jwt: { keys: [{ algorithm: HS512, secret: \(longSecret) }] } }"), line: 6, path: "routes[0].auth.jwt.keys[0].secret",
             "a HS512 secret must be at least 64 bytes"),
        Case(route("    auth: { jwt: { keys: [{ algorithm: none }] } }"), line: 6, path: "routes[0].auth.jwt.keys[0].algorithm", "algorithm none is not allowed"),
        Case(route("    auth: { jwt: { keys: [{ algorithm: HS257, secret_file: /k }] } }"), line: 6, path: "routes[0].auth.jwt.keys[0].algorithm", "unknown jwt algorithm \"HS257\" (did you mean \"HS256\"?)"),
        Case(route("    auth: { jwt: { keys: [{ algorithm: EdDSA, public_key_file: /k }] } }"), line: 6, path: "routes[0].auth.jwt.keys[0].algorithm", "unknown jwt algorithm \"EdDSA\" (expected one of: HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384"),
        Case(route("    auth: { jwt: { keys: [{ public_key_file: /k }] } }"), line: 6, path: "routes[0].auth.jwt.keys[0]", "missing required key \"algorithm\" in jwt key"),
        Case(route("    auth: { jwt: { keys: [{ algorithm: RS256, public_key_file: /k, kid: \"\" }] } }"), line: 6, path: "routes[0].auth.jwt.keys[0].kid", "kid must not be empty"),
        Case(route("    auth: { jwt: { keys: [{ algorithm: RS256, public_key_fle: /k }] } }"), line: 6, path: "routes[0].auth.jwt.keys[0].public_key_fle", "did you mean \"public_key_file\"?"),
        Case(route("    auth: { jwt: { keys: [] } }"), line: 6, path: "routes[0].auth.jwt.keys", "at least one key is required"),
        Case(route("    auth: { jwt: {} }"), line: 6, path: "routes[0].auth.jwt", "missing required key \"keys\" in jwt auth"),
        Case(route("    auth:\n      jwt:\n        keys:\n          - { algorithm: RS256, public_key_file: /a, kid: k }\n          - { algorithm: RS256, public_key_file: /b, kid: k }"),
             line: 10, path: "routes[0].auth.jwt.keys[1].kid", "duplicate kid \"k\" (first defined at line 9)"),
        // auth: jwt options
        Case(route("    auth: { jwt: { keys: [{ algorithm: RS256, public_key_file: /k }], forward_claims: { sub: \"X User\" } } }"), line: 6,
             path: "routes[0].auth.jwt.forward_claims.sub", "invalid header name \"X User\""),
        Case(route("    auth: { jwt: { keys: [{ algorithm: RS256, public_key_file: /k }], forward_claims: { sub: Host } } }"), line: 6,
             path: "routes[0].auth.jwt.forward_claims.sub", "header \"Host\" cannot be set from an auth result"),
        Case(route("    auth: { jwt: { keys: [{ algorithm: RS256, public_key_file: /k }], forward_claims: { sub: X-A, role: x-a } } }"), line: 6,
             path: "routes[0].auth.jwt.forward_claims.role", "duplicate header \"x-a\""),
        Case(route("    auth: { jwt: { keys: [{ algorithm: RS256, public_key_file: /k }], forward_claims: [sub] } }"), line: 6,
             path: "routes[0].auth.jwt.forward_claims", "expected a mapping, found a sequence"),
        Case(route("    auth: { jwt: { keys: [{ algorithm: RS256, public_key_file: /k }], audience: [] } }"), line: 6,
             path: "routes[0].auth.jwt.audience", "audience list must not be empty"),
        Case(route("    auth: { jwt: { keys: [{ algorithm: RS256, public_key_file: /k }], leeway: soon } }"), line: 6,
             path: "routes[0].auth.jwt.leeway", "invalid duration \"soon\""),
        Case(route("    auth: { jwt: { keys: [{ algorithm: RS256, public_key_file: /k }], issuer: \"\" } }"), line: 6,
             path: "routes[0].auth.jwt.issuer", "issuer must not be empty"),
        Case(route("    auth: { jwt: { keys: [{ algorithm: RS256, public_key_file: /k }], audiences: [a] } }"), line: 6,
             path: "routes[0].auth.jwt.audiences", "did you mean \"audience\"?"),
        // auth: forward
        Case(route("    auth: { forward: { url: \"https://auth/check\" } }"), line: 6, path: "routes[0].auth.forward.url",
             "invalid forward auth url \"https://auth/check\": https is not supported yet (use http://)"),
        Case(route("    auth: { forward: { url: \"auth:9000/check\" } }"), line: 6, path: "routes[0].auth.forward.url", "expected http://host[:port][/path]"),
        Case(route("    auth: { forward: { url: \"http://auth/check#x\" } }"), line: 6, path: "routes[0].auth.forward.url", "a fragment is not allowed"),
        Case(route("    auth: { forward: { url: \"http://a b/check\" } }"), line: 6, path: "routes[0].auth.forward.url",
             "invalid forward auth url \"http://a b/check\": \"a b\" is not a valid host name"),
        Case(route("    auth: { forward: { url: \"http://auth:99999/\" } }"), line: 6, path: "routes[0].auth.forward.url", "port 99999 is out of range"),
        Case(route("    auth: { forward: {} }"), line: 6, path: "routes[0].auth.forward", "missing required key \"url\" in forward auth"),
        Case(route("    auth: { forward: { url: \"http://auth/\", copy_headers: [Content-Length] } }"), line: 6, path: "routes[0].auth.forward.copy_headers[0]",
             "header \"Content-Length\" cannot be set from an auth result"),
        Case(route("    auth: { forward: { url: \"http://auth/\", timeout: 0 } }"), line: 6, path: "routes[0].auth.forward.timeout", "duration must be greater than 0"),
        // deny_rules
        Case(route("    deny_rules:\n      - path_regex: \"(abc\""), line: 7, path: "routes[0].deny_rules[0].path_regex", "invalid regular expression \"(abc\": expected ')'"),
        Case(route("    deny_rules:\n      - user_agent: \"[a-\""), line: 7, path: "routes[0].deny_rules[0].user_agent", "invalid regular expression \"[a-\""),
        Case(route("    deny_rules:\n      - path_regex: \"\""), line: 7, path: "routes[0].deny_rules[0].path_regex", "path_regex must not be empty"),
        Case(route("    deny_rules:\n      - {}"), line: 7, path: "routes[0].deny_rules[0]", "a deny rule needs at least one condition"),
        Case(route("    deny_rules:\n      - method: [GET]"), line: 7, path: "routes[0].deny_rules[0].method", "did you mean \"methods\"?"),
        Case(route("    deny_rules:\n      - methods: []"), line: 7, path: "routes[0].deny_rules[0].methods", "methods list must not be empty"),
        Case(route("    deny_rules:\n      - methods: [\"G T\"]"), line: 7, path: "routes[0].deny_rules[0].methods[0]", "invalid method \"G T\""),
        Case(route("    deny_rules:\n      - path_prefix: admin"), line: 7, path: "routes[0].deny_rules[0].path_prefix", "path_prefix must start with \"/\""),
        Case(route("    deny_rules:\n      - header: X-Debug"), line: 7, path: "routes[0].deny_rules[0].header", "expected a mapping with name (and optionally value), found \"X-Debug\""),
        Case(route("    deny_rules:\n      - header: { value: x }"), line: 7, path: "routes[0].deny_rules[0].header", "missing required key \"name\" in header condition"),
        Case(route("    deny_rules:\n      - header: { name: \"X Y\" }"), line: 7, path: "routes[0].deny_rules[0].header.name", "invalid header name \"X Y\""),
        Case(route("    deny_rules:\n      - header: { name: X-A, value: \"a\\nb\" }"), line: 7, path: "routes[0].deny_rules[0].header.value", "must not contain CR, LF or NUL"),
        Case(route("    deny_rules: { methods: [GET] }"), line: 6, path: "routes[0].deny_rules", "expected a sequence, found a mapping"),
        // security_headers
        Case(route("    security_headers: on_please"), line: 6, path: "routes[0].security_headers", "expected true, false or a mapping, found \"on_please\""),
        Case(route("    security_headers: { hsts: includeSubDomains }"), line: 6, path: "routes[0].security_headers.hsts", "hsts must include max-age"),
        Case(route("    security_headers: { hsts: \"\" }"), line: 6, path: "routes[0].security_headers.hsts", "hsts must not be empty"),
        Case(route("    security_headers: { hsts: \"max-age=1\\nX: y\" }"), line: 6, path: "routes[0].security_headers.hsts", "must not contain CR, LF or NUL"),
        Case(route("    security_headers: { frame_options: \"ALLOW-FROM https://a\" }"), line: 6, path: "routes[0].security_headers.frame_options", "ALLOW-FROM is obsolete"),
        Case(route("    security_headers: { frame_options: DENI }"), line: 6, path: "routes[0].security_headers.frame_options", "unknown frame_options \"DENI\" (did you mean \"DENY\"?)"),
        Case(route("    security_headers: { referrer_policy: no-referer }"), line: 6, path: "routes[0].security_headers.referrer_policy", "unknown referrer_policy \"no-referer\" (did you mean \"no-referrer\"?)"),
        Case(route("    security_headers: { content_type_options: sniff }"), line: 6, path: "routes[0].security_headers.content_type_options", "content_type_options must be nosniff"),
        Case(route("    security_headers: { content_security_policy: true }"), line: 6, path: "routes[0].security_headers.content_security_policy", "content_security_policy has no default"),
        Case(route("    security_headers: { hts: false }"), line: 6, path: "routes[0].security_headers.hts", "did you mean \"hsts\"?"),
        // error_pages
        Case(route("    error_pages: { statuses: [200] }"), line: 6, path: "routes[0].error_pages.statuses[0]", "error page status must be between 400 and 599, found 200"),
        Case(route("    error_pages: { statuses: [] }"), line: 6, path: "routes[0].error_pages.statuses", "at least one status is required"),
        Case(route("    error_pages: { statuses: [502, 502] }"), line: 6, path: "routes[0].error_pages.statuses[1]", "duplicate status 502"),
        Case(route("    error_pages: { status: [502] }"), line: 6, path: "routes[0].error_pages.status", "did you mean \"statuses\"?"),
        Case(route("    error_pages: [502]"), line: 6, path: "routes[0].error_pages", "expected true, false or a mapping, found a sequence"),
        Case("listeners: [{ address: \":8080\" }]\nroutes:\n  - respond: { status: 200 }\n    error_pages: true\n", line: 4, path: "routes[0].error_pages",
             "error_pages is only allowed on routes with upstream (this route uses respond)"),
    ]

    @Test(arguments: cases)
    func badSnippetReportsOneDiagnostic(_ testCase: Case) {
        ConfigDiagnosticsTests.expectOneDiagnostic(testCase)
    }

    @Test func aCIDRDiagnosticReadsInFull() {
        let yaml = Self.top("security:\n  trusted_proxies: [10.0.0.0/8, 10.0.0.0/33]\n")
        #expect(ConfigDiagnosticsTests.diagnostics(yaml).map(\.description) == [
            "test.yaml:7:33: security.trusted_proxies[1]: invalid CIDR \"10.0.0.0/33\": prefix length 33 is out of range for IPv4 (0-32)",
        ])
    }

    @Test func everySecurityProblemIsReportedAtOnce() {
        let yaml = """
            security:
              trusted_proxies: [10.0.0.0/33, 1.2.3.4.5]
              max_connections: 0
            limits: { max_body_size: 0 }
            listeners:
              - address: ":8080"
                allow: []
                max_connections_per_ip: 0
            upstreams: [{ name: app, servers: ["127.0.0.1:9001"] }]
            routes:
              - upstream: app
                rate_limit: { rate: 10/x, key: "header:", status: 200 }
                auth:
                  basic: { htpasswd: /a }
                  forward: { url: "https://auth/" }
                deny_rules:
                  - path_regex: "(abc"
                security_headers: { hsts: false, frame_options: DENI }
            """
        let diagnostics = ConfigDiagnosticsTests.diagnostics(yaml)
        #expect(diagnostics.map(\.path) == [
            "security.trusted_proxies[0]",
            "security.trusted_proxies[1]",
            "security.max_connections",
            "limits.max_body_size",
            "listeners[0].allow",
            "listeners[0].max_connections_per_ip",
            "routes[0].rate_limit.rate",
            "routes[0].rate_limit.key",
            "routes[0].rate_limit.status",
            "routes[0].auth.forward",
            "routes[0].auth.forward.url",
            "routes[0].deny_rules[0].path_regex",
            "routes[0].security_headers.frame_options",
        ], "\(diagnostics.map(\.description))")
    }
}
