/// Edge-security settings: the process-wide `security:` section, and the types that
/// listeners (`allow`, `deny`, connection limits) and routes (`rate_limit`, `auth`,
/// `deny_rules`, `security_headers`, `error_pages`, …) use. See `docs/configuration.md`,
/// section "Security".
///
/// Like the rest of the configuration these are plain validated values: addresses and
/// networks are kept as checked text (`ConfigCIDR`), regular expressions as checked
/// pattern text, files as paths. The runtime builds its own matchers from them.

/// The top-level `security:` section.
public struct SecurityConfig: Sendable, Equatable {
    /// Peers whose `X-Forwarded-For` / `Forwarded` header is believed when working out
    /// the client's address. Empty (default): the TCP peer (or the PROXY protocol
    /// source) is always the client.
    public var trustedProxies: [ConfigCIDR]
    /// Which header carries the client address when the peer is a trusted proxy.
    public var clientIPHeader: ClientIPHeader
    /// Most open client connections over all listeners together; `nil` = unlimited.
    public var maxConnections: Int?
    /// Remove `.`/`..` segments and decode percent-encoded unreserved characters in the
    /// request path before routing; the upstream receives the normalized path.
    public var normalizePath: Bool
    /// Answer 400 to a request whose path contains an encoded slash (`%2F`, `%5C`).
    public var rejectEncodedSlash: Bool
    /// Collapse runs of `/` in the request path into one before routing.
    public var mergeSlashes: Bool
    /// Remove `SecurityConfig.backendHeaders` from forwarded responses.
    public var hideBackendHeaders: Bool

    /// The response headers `hide_backend_headers` removes: they advertise the
    /// upstream's software and version.
    public static let backendHeaders = ["Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version", "X-Runtime"]

    public init(
        trustedProxies: [ConfigCIDR] = [],
        clientIPHeader: ClientIPHeader = .xForwardedFor,
        maxConnections: Int? = nil,
        normalizePath: Bool = true,
        rejectEncodedSlash: Bool = true,
        mergeSlashes: Bool = true,
        hideBackendHeaders: Bool = false
    ) {
        self.trustedProxies = trustedProxies
        self.clientIPHeader = clientIPHeader
        self.maxConnections = maxConnections
        self.normalizePath = normalizePath
        self.rejectEncodedSlash = rejectEncodedSlash
        self.mergeSlashes = mergeSlashes
        self.hideBackendHeaders = hideBackendHeaders
    }
}

/// `security.client_ip_header`.
public enum ClientIPHeader: String, Sendable, Equatable, CaseIterable {
    /// `X-Forwarded-For: client, proxy1, proxy2` (de facto standard).
    case xForwardedFor = "x-forwarded-for"
    /// `Forwarded: for=client;proto=https, for=proxy1` (RFC 7239).
    case forwarded
}

/// An IPv4 or IPv6 network written as `address/prefix`, or a single address (`/32`,
/// `/128` implied). The text has been checked strictly (`ConfigCIDR.parse`): a dotted
/// quad without leading zeros, or RFC 4291 IPv6 text without a zone; the prefix in
/// range; no bits set after the prefix (`10.0.0.1/8` is rejected).
public struct ConfigCIDR: Sendable, Hashable, CustomStringConvertible {
    /// Exactly as written in the configuration, e.g. `10.0.0.0/8` or `::1`.
    public var text: String
    /// The address part of `text`, e.g. `10.0.0.0` or `::1`.
    public var address: String
    /// The prefix length: as written, or 32 / 128 for a single address.
    public var prefixLength: Int
    public var isIPv6: Bool

    init(text: String, address: String, prefixLength: Int, isIPv6: Bool) {
        self.text = text
        self.address = address
        self.prefixLength = prefixLength
        self.isIPv6 = isIPv6
    }

    /// `address/prefixLength`, also for single addresses (`::1/128`).
    public var description: String { "\(address)/\(prefixLength)" }

    /// Checks `text` with the loader's rules; `nil` if it is not a valid network.
    public static func parse(_ text: String) -> ConfigCIDR? {
        try? ConfigCIDRSyntax.check(text).get()
    }
}

/// Client address allow and deny lists (`allow:` / `deny:` on listeners and routes).
///
/// A client whose address is in `deny` is refused; otherwise, when `allow` is not empty,
/// a client not in `allow` is refused. Deny wins, so `allow: [10.0.0.0/8]` with
/// `deny: [10.1.0.0/16]` admits 10.x except 10.1.x.
public struct IPAccessConfig: Sendable, Equatable {
    public var allow: [ConfigCIDR]
    public var deny: [ConfigCIDR]

    public init(allow: [ConfigCIDR] = [], deny: [ConfigCIDR] = []) {
        self.allow = allow
        self.deny = deny
    }

    /// No restriction configured.
    public var isEmpty: Bool { allow.isEmpty && deny.isEmpty }
}

/// A route's `max_body_size`, which overrides `limits.max_body_size`.
public enum BodySizeLimit: Sendable, Equatable {
    /// `off`: no limit on this route even if `limits.max_body_size` sets one.
    case unlimited
    /// At most this many bytes (413 beyond).
    case bytes(Int)
}

// MARK: - Rate limiting

/// A route's `rate_limit:`: a token bucket per key.
///
/// Each key's bucket refills at `requestsPerSecond` and holds `1 + burst` tokens. A
/// request that finds a token is served at once. Otherwise up to `delay` requests per
/// key wait, in order, for a token; any further request is answered with `status`.
public struct RateLimitConfig: Sendable, Equatable {
    /// The sustained rate, converted to requests per second (`10/m` → 0.1666…).
    public var requestsPerSecond: Double
    /// The rate as written (`10/s`, `100/m`, `0.5/s`), for logs and `RateLimit-Policy`.
    public var rateText: String
    /// Requests allowed above the rate in a burst.
    public var burst: Int
    /// What identifies a bucket: the values of all keys together (in this order).
    public var keys: [RateLimitKey]
    /// How many requests over the limit wait for capacity instead of being rejected
    /// (nginx `limit_req … delay=`); 0 (`nodelay`) rejects at once.
    public var delay: Int
    /// Most buckets kept; beyond it the least recently used are dropped.
    public var maxKeys: Int
    /// Status of rejected requests (400…599).
    public var status: Int
    /// Send `RateLimit-Policy` and `RateLimit` response headers.
    public var headers: Bool

    public init(
        requestsPerSecond: Double,
        rateText: String,
        burst: Int = 0,
        keys: [RateLimitKey] = [.clientIP],
        delay: Int = 0,
        maxKeys: Int = 100_000,
        status: Int = 429,
        headers: Bool = false
    ) {
        self.requestsPerSecond = requestsPerSecond
        self.rateText = rateText
        self.burst = burst
        self.keys = keys
        self.delay = delay
        self.maxKeys = maxKeys
        self.status = status
        self.headers = headers
    }
}

/// One part of a rate-limit key.
public enum RateLimitKey: Sendable, Hashable {
    /// The client address (after `security.trusted_proxies`).
    case clientIP
    /// The route itself: one bucket shared by every client.
    case route
    /// The value of a request header (a missing header is the empty value).
    case header(String)
}

// MARK: - Authentication

/// A route's `auth:`, exactly one kind.
public enum RouteAuth: Sendable, Equatable {
    case basic(BasicAuthConfig)
    case jwt(JWTAuthConfig)
    case forward(ForwardAuthConfig)

    /// Whether the client's `Authorization` header is removed before forwarding.
    public var stripAuthorization: Bool {
        switch self {
        case .basic(let config): config.stripAuthorization
        case .jwt(let config): config.stripAuthorization
        case .forward(let config): config.stripAuthorization
        }
    }
}

/// HTTP Basic authentication (RFC 7617) against an htpasswd file.
public struct BasicAuthConfig: Sendable, Equatable {
    /// Sent in `WWW-Authenticate: Basic realm="…"`; contains no `"` or `\`.
    public var realm: String
    /// Path of the htpasswd file (non-empty; read and checked by the runtime loader).
    public var htpasswdPath: String
    public var stripAuthorization: Bool

    public init(realm: String = "Restricted", htpasswdPath: String, stripAuthorization: Bool = true) {
        self.realm = realm
        self.htpasswdPath = htpasswdPath
        self.stripAuthorization = stripAuthorization
    }
}

/// Bearer JWT validation (RFC 7519) with configured keys.
public struct JWTAuthConfig: Sendable, Equatable {
    /// At least one. A token whose header names a `kid` is checked with the key of
    /// that `kid`; otherwise with every key of the token's `alg`.
    public var keys: [JWTKeyConfig]
    /// Accepted `aud` values; the token must name at least one. Empty: not checked.
    public var audiences: [String]
    /// Required `iss`; `nil`: not checked.
    public var issuer: String?
    /// Clock skew allowed when checking `exp` and `nbf`.
    public var leeway: Duration
    /// Claims copied into request headers for the upstream (in document order).
    public var forwardClaims: [JWTClaimHeader]
    public var stripAuthorization: Bool

    public init(
        keys: [JWTKeyConfig],
        audiences: [String] = [],
        issuer: String? = nil,
        leeway: Duration = .zero,
        forwardClaims: [JWTClaimHeader] = [],
        stripAuthorization: Bool = true
    ) {
        self.keys = keys
        self.audiences = audiences
        self.issuer = issuer
        self.leeway = leeway
        self.forwardClaims = forwardClaims
        self.stripAuthorization = stripAuthorization
    }
}

/// JWS algorithms Portico accepts (RFC 7518 §3.1). `none` is never accepted.
public enum JWTAlgorithm: String, Sendable, Equatable, CaseIterable {
    case hs256 = "HS256", hs384 = "HS384", hs512 = "HS512"
    case rs256 = "RS256", rs384 = "RS384", rs512 = "RS512"
    case es256 = "ES256", es384 = "ES384"

    /// HMAC algorithms take a shared secret; the others a public key.
    public var isHMAC: Bool { rawValue.hasPrefix("HS") }

    /// Smallest HMAC secret in bytes: the hash output size (RFC 7518 §3.2); 0 for others.
    public var minimumSecretBytes: Int {
        switch self {
        case .hs256: 32
        case .hs384: 48
        case .hs512: 64
        default: 0
        }
    }
}

public struct JWTKeyConfig: Sendable, Equatable {
    public var algorithm: JWTAlgorithm
    /// `.secret`/`.secretFile` for HMAC algorithms, `.publicKeyFile` for the others.
    public var material: JWTKeyMaterial
    /// Key id matched against the token header's `kid`; `nil` matches any token.
    public var kid: String?

    public init(algorithm: JWTAlgorithm, material: JWTKeyMaterial, kid: String? = nil) {
        self.algorithm = algorithm
        self.material = material
        self.kid = kid
    }
}

public enum JWTKeyMaterial: Sendable, Equatable, CustomStringConvertible {
    /// The UTF-8 bytes of this text are the HMAC key (at least `minimumSecretBytes`).
    case secret(String)
    /// A file whose contents (without a trailing newline) are the HMAC key.
    case secretFile(String)
    /// A PEM file with the public key (RSA for RS*, EC P-256/P-384 for ES*).
    case publicKeyFile(String)

    /// Never shows an inline secret, so logging a configuration does not leak it.
    public var description: String {
        switch self {
        case .secret: "secret(<redacted>)"
        case .secretFile(let path): "secretFile(\(path))"
        case .publicKeyFile(let path): "publicKeyFile(\(path))"
        }
    }
}

/// `forward_claims` entry: the claim's value is sent upstream in `header`.
public struct JWTClaimHeader: Sendable, Equatable {
    public var claim: String
    public var header: String

    public init(claim: String, header: String) {
        self.claim = claim
        self.header = header
    }
}

/// Forward ("external") authentication: each request is first checked by an HTTP
/// service; a 2xx answer lets it through.
public struct ForwardAuthConfig: Sendable, Equatable {
    public var url: ForwardAuthURL
    /// Headers copied from the auth service's 2xx answer into the upstream request.
    public var copyHeaders: [String]
    /// Longest wait for the auth service's answer.
    public var timeout: Duration
    public var stripAuthorization: Bool

    public init(url: ForwardAuthURL, copyHeaders: [String] = [], timeout: Duration = .seconds(5), stripAuthorization: Bool = false) {
        self.url = url
        self.copyHeaders = copyHeaders
        self.timeout = timeout
        self.stripAuthorization = stripAuthorization
    }
}

/// An `http://host[:port][/path][?query]` URL (https is not supported yet).
public struct ForwardAuthURL: Sendable, Hashable, CustomStringConvertible {
    /// Host (lower-cased, IPv6 without brackets) and port (80 when not given).
    public var address: HostPort
    /// Request target in origin form, `/` when the URL has no path; may carry a query.
    public var target: String

    public init(address: HostPort, target: String = "/") {
        self.address = address
        self.target = target
    }

    /// `http://host:port/target`.
    public var description: String { "http://\(address)\(target)" }

    /// Checks `text` with the loader's rules; `nil` if it is not a valid URL.
    public static func parse(_ text: String) -> ForwardAuthURL? {
        try? check(text).get()
    }
}

// MARK: - Request filtering and response hardening

/// One entry of `deny_rules:`: the request is refused with 403 when every condition
/// given holds. At least one condition is set.
public struct DenyRule: Sendable, Equatable {
    /// Any of these methods (upper-case). Empty: any method.
    public var methods: [String]
    /// The path starts with this prefix at a segment boundary, like `match.path_prefix`.
    public var pathPrefix: String?
    /// A regular expression (Swift `Regex` syntax, already compiled once to check it)
    /// searched for anywhere in the path; anchor it with `^`/`$` to match the whole path.
    public var pathRegex: String?
    /// The header is present and, unless `value` is `nil`, equal to `value`.
    public var header: HeaderMatch?
    /// A regular expression searched for in the `User-Agent` header; a request without
    /// one does not match.
    public var userAgentRegex: String?

    public init(
        methods: [String] = [],
        pathPrefix: String? = nil,
        pathRegex: String? = nil,
        header: HeaderMatch? = nil,
        userAgentRegex: String? = nil
    ) {
        self.methods = methods
        self.pathPrefix = pathPrefix
        self.pathRegex = pathRegex
        self.header = header
        self.userAgentRegex = userAgentRegex
    }
}

/// A route's `security_headers:`, resolved to the response header fields to set.
/// They replace any value from the upstream and are applied before `response_headers`.
public struct SecurityHeadersConfig: Sendable, Equatable {
    public var fields: [HeaderRules.Field]

    public init(fields: [HeaderRules.Field]) {
        self.fields = fields
    }

    public static let defaultHSTS = "max-age=31536000; includeSubDomains"
    public static let defaultContentTypeOptions = "nosniff"
    public static let defaultFrameOptions = "DENY"
    public static let defaultReferrerPolicy = "strict-origin-when-cross-origin"

    /// `security_headers: true`.
    public static let defaults = SecurityHeadersConfig(fields: [
        HeaderRules.Field(name: "Strict-Transport-Security", value: defaultHSTS),
        HeaderRules.Field(name: "X-Content-Type-Options", value: defaultContentTypeOptions),
        HeaderRules.Field(name: "X-Frame-Options", value: defaultFrameOptions),
        HeaderRules.Field(name: "Referrer-Policy", value: defaultReferrerPolicy),
    ])
}

/// A route's `error_pages:`: upstream responses with these statuses are replaced by
/// Portico's own error page for the status.
public struct ErrorPagesConfig: Sendable, Equatable {
    /// Statuses in 400…599, each once.
    public var statuses: [Int]

    public init(statuses: [Int] = [500, 502, 503, 504]) {
        self.statuses = statuses
    }
}
