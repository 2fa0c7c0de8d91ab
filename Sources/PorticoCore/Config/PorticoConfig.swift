/// The validated configuration of one Portico process: what `portico.yaml` says,
/// after decoding and validation, with every default filled in.
///
/// This is the *configured* view. The data path never reads it directly: it is
/// compiled into a `RuntimeSnapshot` (see `PorticoProxy`) so that per-request work
/// is lookups in prebuilt tables, not interpretation of YAML-shaped values.
public struct PorticoConfig: Sendable, Equatable {
    public var listeners: [ListenerConfig]
    public var upstreams: [UpstreamGroupConfig]
    public var routes: [RouteConfig]
    /// Event-loop threads. `nil` means one per core (`System.coreCount`).
    public var workers: Int?
    /// The value of the `Server` header on responses Portico generates itself (fixed
    /// responses, redirects, errors), or `nil` to send none. Forwarded responses keep
    /// the upstream's `Server` header unchanged.
    public var serverHeader: String?
    public var timeouts: TimeoutsConfig
    public var limits: LimitsConfig
    public var accessLog: AccessLogConfig
    /// `request_id:` — accepting, generating and returning `X-Request-ID`.
    public var requestID: RequestIDConfig = RequestIDConfig()
    /// `trace_context:` — W3C `traceparent` propagation.
    public var traceContext: TraceContextConfig = TraceContextConfig()
    /// Process-wide edge-security settings (`security:`).
    public var security: SecurityConfig
    /// The admin listener (metrics, admin API, status page); `nil` = none.
    public var admin: AdminConfig?
    /// `cache:` — the response store shared by every route with `cache:` (docs/caching.md).
    public var cache = CacheStorageConfig()
    /// `compression:` at the top level: the default for upstream routes (`nil` = off);
    /// the resolved value is copied into each `RouteConfig.compression`.
    public var compression: CompressionConfig? = nil

    public init(
        listeners: [ListenerConfig] = [],
        upstreams: [UpstreamGroupConfig] = [],
        routes: [RouteConfig] = [],
        workers: Int? = nil,
        serverHeader: String? = "portico",
        timeouts: TimeoutsConfig = TimeoutsConfig(),
        limits: LimitsConfig = LimitsConfig(),
        accessLog: AccessLogConfig = AccessLogConfig(),
        security: SecurityConfig = SecurityConfig(),
        admin: AdminConfig? = nil
    ) {
        self.listeners = listeners
        self.upstreams = upstreams
        self.routes = routes
        self.workers = workers
        self.serverHeader = serverHeader
        self.timeouts = timeouts
        self.limits = limits
        self.accessLog = accessLog
        self.security = security
        self.admin = admin
    }
}

/// A host and port to bind or connect to. `host` holds an IPv6 literal without
/// brackets (`::1`); `description` puts them back (`[::1]:8080`).
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

public struct ListenerConfig: Sendable, Equatable {
    /// Optional name used in logs; defaults to the address text.
    public var name: String
    public var address: HostPort
    /// Every connection must start with a PROXY protocol v1 or v2 header, whose source
    /// address then is the client's (connections without one are closed).
    public var proxyProtocol: Bool
    /// Client networks admitted on this listener; a refused client's connection is
    /// closed at once. Checked against the TCP peer (or the PROXY protocol source).
    public var access: IPAccessConfig
    /// Most open connections on this listener; `nil` = unlimited.
    public var maxConnections: Int?
    /// Most open connections from one client address on this listener; `nil` = unlimited.
    public var maxConnectionsPerIP: Int?
    /// This listener's access-log format and fields (`nil` = the global ones).
    public var accessLog: ListenerAccessLogConfig? = nil
    /// TLS termination (`tls:`); `nil` = cleartext HTTP/1.1.
    public var tls: ListenerTLSConfig? = nil
    /// `redirect_https:` (cleartext listeners only): every request is redirected to https.
    public var redirectHTTPS: HTTPSRedirect? = nil
    /// HTTP/2 to clients: h2c, SETTINGS and windows (docs/http2.md).
    public var http2 = HTTP2Config()

    public init(
        name: String,
        address: HostPort,
        proxyProtocol: Bool = false,
        access: IPAccessConfig = IPAccessConfig(),
        maxConnections: Int? = nil,
        maxConnectionsPerIP: Int? = nil
    ) {
        self.name = name
        self.address = address
        self.proxyProtocol = proxyProtocol
        self.access = access
        self.maxConnections = maxConnections
        self.maxConnectionsPerIP = maxConnectionsPerIP
    }
}

/// One entry of `routes:`. Routes are tried in order; the first whose `match` accepts
/// the request wins.
public struct RouteConfig: Sendable, Equatable {
    /// Name for logs and metrics; defaults to `route<index>`.
    public var name: String
    public var match: RouteMatch
    public var action: RouteAction
    /// Removed from the start of the path before forwarding (`/api` turns `/api/x` into `/x`,
    /// and `/api` into `/`).
    public var stripPrefix: String?
    /// When true (default) the client's `Host` goes upstream unchanged; when false the
    /// upstream server's `host:port` is sent instead.
    public var preserveHost: Bool
    public var requestHeaders: HeaderRules
    public var responseHeaders: HeaderRules
    /// Client networks admitted on this route (after `security.trusted_proxies`); 403 otherwise.
    public var access: IPAccessConfig
    /// Overrides `limits.maxBodySize` for this route; `nil` inherits it.
    public var maxBodySize: BodySizeLimit?
    /// Most requests of this route in flight at once; more get 503. `nil` = unlimited.
    public var maxConcurrentRequests: Int?
    public var rateLimit: RateLimitConfig?
    public var auth: RouteAuth?
    /// A request matching any rule gets 403.
    public var denyRules: [DenyRule]
    /// Response headers such as HSTS; `nil` = none.
    public var securityHeaders: SecurityHeadersConfig?
    /// Only on upstream routes; `nil` passes upstream error responses through.
    public var errorPages: ErrorPagesConfig?
    /// `redirect_https:` — requests arriving over cleartext are redirected to https
    /// (after routing, so other routes of the listener still serve plain HTTP).
    public var redirectHTTPS: HTTPSRedirect? = nil
    /// `cache:` — RFC 9111 shared caching of this route's responses; `nil` = off.
    public var cache: RouteCacheConfig? = nil
    /// `compression:` — the route's own, or the inherited top-level one; `nil` = off.
    public var compression: CompressionConfig? = nil

    public init(
        name: String,
        match: RouteMatch = RouteMatch(),
        action: RouteAction,
        stripPrefix: String? = nil,
        preserveHost: Bool = true,
        requestHeaders: HeaderRules = HeaderRules(),
        responseHeaders: HeaderRules = HeaderRules(),
        access: IPAccessConfig = IPAccessConfig(),
        maxBodySize: BodySizeLimit? = nil,
        maxConcurrentRequests: Int? = nil,
        rateLimit: RateLimitConfig? = nil,
        auth: RouteAuth? = nil,
        denyRules: [DenyRule] = [],
        securityHeaders: SecurityHeadersConfig? = nil,
        errorPages: ErrorPagesConfig? = nil
    ) {
        self.name = name
        self.match = match
        self.action = action
        self.stripPrefix = stripPrefix
        self.preserveHost = preserveHost
        self.requestHeaders = requestHeaders
        self.responseHeaders = responseHeaders
        self.access = access
        self.maxBodySize = maxBodySize
        self.maxConcurrentRequests = maxConcurrentRequests
        self.rateLimit = rateLimit
        self.auth = auth
        self.denyRules = denyRules
        self.securityHeaders = securityHeaders
        self.errorPages = errorPages
    }

    /// The body size limit in force on this route: its own `max_body_size`, else
    /// `limits.max_body_size`. `nil` means unlimited.
    public func effectiveMaxBodySize(_ limits: LimitsConfig) -> Int? {
        switch maxBodySize {
        case nil: limits.maxBodySize
        case .unlimited: nil
        case .bytes(let bytes): bytes
        }
    }
}

/// Conditions a request must meet for a route to apply. Every condition given must
/// hold; an empty match accepts every request.
public struct RouteMatch: Sendable, Equatable {
    /// Any of these hosts (exact, case-insensitive, or `*.example.com` for any
    /// subdomain). Empty: any host. The port of the `Host` header is ignored.
    public var hosts: [HostPattern]
    /// The path must start with this prefix at a segment boundary
    /// (`/api` matches `/api`, `/api/`, `/api/x`, not `/apix`). Query is not part of the path.
    public var pathPrefix: String?
    /// The path must equal this exactly.
    public var path: String?
    /// Any of these methods (upper-case). Empty: any method.
    public var methods: [String]
    /// Each header must be present and, unless its value is `nil`, equal the value
    /// (name case-insensitive, value exact).
    public var headers: [HeaderMatch]

    public init(
        hosts: [HostPattern] = [],
        pathPrefix: String? = nil,
        path: String? = nil,
        methods: [String] = [],
        headers: [HeaderMatch] = []
    ) {
        self.hosts = hosts
        self.pathPrefix = pathPrefix
        self.path = path
        self.methods = methods
        self.headers = headers
    }
}

public enum HostPattern: Sendable, Hashable {
    /// Lower-cased host name without port.
    case exact(String)
    /// `*.example.com` stored as the lower-cased suffix `.example.com`; matches any
    /// name ending in it with at least one more label, not `example.com` itself.
    case wildcard(suffix: String)
}

public struct HeaderMatch: Sendable, Equatable {
    public var name: String
    /// `nil` means "present with any value".
    public var value: String?

    public init(name: String, value: String?) {
        self.name = name
        self.value = value
    }
}

public enum RouteAction: Sendable, Equatable {
    /// Forward to the named upstream group.
    case upstream(String)
    /// Answer with `status` (301, 302, 303, 307 or 308) and `Location: location`.
    case redirect(status: Int, location: String)
    /// Answer with a fixed response.
    case respond(status: Int, body: String, contentType: String)
}

/// Header edits applied in the order remove, set, add (so `set` replaces any
/// existing values and `add` appends another).
public struct HeaderRules: Sendable, Equatable {
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var set: [Field]
    public var add: [Field]
    public var remove: [String]

    public init(set: [Field] = [], add: [Field] = [], remove: [String] = []) {
        self.set = set
        self.add = add
        self.remove = remove
    }

    public var isEmpty: Bool { self.set.isEmpty && self.add.isEmpty && self.remove.isEmpty }
}

/// Every timeout Portico enforces. Names follow the phase they bound.
public struct TimeoutsConfig: Sendable, Equatable {
    /// Time allowed to receive a complete request head once its first byte arrived
    /// (slow-client protection; 408 on expiry). nginx: `client_header_timeout`.
    public var clientHeader: Duration
    /// How long an idle keep-alive client connection is kept open between requests.
    public var clientIdle: Duration
    /// Longest gap between two reads of a request body (408 on expiry, before a response started).
    public var clientBody: Duration
    /// Time allowed to establish an upstream TCP connection (502 on expiry, another server tried).
    public var upstreamConnect: Duration
    /// Time from the request being sent to the upstream response head (504 on expiry).
    public var upstreamHeader: Duration
    /// Longest gap between two reads of an upstream response body (connection aborted on expiry).
    public var upstreamIdle: Duration
    /// On SIGTERM/SIGINT, how long in-flight requests may take before connections are closed.
    public var shutdownGrace: Duration
    /// Longest time a client may go without accepting response bytes while the proxy has
    /// some to send; the connection is closed on expiry. nginx: `send_timeout`.
    public var clientSend: Duration
    /// Bytes per second a request body must average, measured from the start of the body
    /// once `clientMinBodyRateGrace` has passed (slow-POST protection; 408 on failure).
    /// 0 turns the check off.
    public var clientMinBodyRate: Int
    /// Longest time an Upgrade tunnel (WebSocket) may carry no byte in either direction
    /// before both connections are closed. HAProxy: `timeout tunnel`; nginx applies
    /// `proxy_read_timeout` (60 s) instead, which closes quiet WebSockets.
    public var tunnelIdle: Duration
    /// Time from accepting a connection on a TLS listener to a finished TLS handshake;
    /// the connection is closed on expiry (a silent client cannot hold a socket).
    public var tlsHandshake: Duration = .seconds(10)

    /// How long a request body may arrive at any rate before `clientMinBodyRate` applies.
    public static let clientMinBodyRateGrace: Duration = .seconds(5)
    /// The grace period in force: `clientMinBodyRateGrace`, shortened only by tests (not
    /// a configuration key).
    package var clientMinBodyRateGracePeriod: Duration = TimeoutsConfig.clientMinBodyRateGrace

    public init(
        clientHeader: Duration = .seconds(10),
        clientIdle: Duration = .seconds(75),
        clientBody: Duration = .seconds(60),
        upstreamConnect: Duration = .seconds(5),
        upstreamHeader: Duration = .seconds(60),
        upstreamIdle: Duration = .seconds(60),
        shutdownGrace: Duration = .seconds(30),
        clientSend: Duration = .seconds(60),
        clientMinBodyRate: Int = 0,
        tunnelIdle: Duration = .seconds(3600)
    ) {
        self.clientHeader = clientHeader
        self.clientIdle = clientIdle
        self.clientBody = clientBody
        self.upstreamConnect = upstreamConnect
        self.upstreamHeader = upstreamHeader
        self.upstreamIdle = upstreamIdle
        self.shutdownGrace = shutdownGrace
        self.clientSend = clientSend
        self.clientMinBodyRate = clientMinBodyRate
        self.tunnelIdle = tunnelIdle
    }
}

/// Request size limits (RFC 9112 §3: servers should answer 414 for an overlong
/// request target and 431 for oversized header fields, RFC 6585 §5; 413 for a body
/// that is too large, RFC 9110 §15.5.14).
public struct LimitsConfig: Sendable, Equatable {
    /// Longest request line (method, target, version) in bytes; 414 beyond it.
    public var maxRequestLine: Int
    /// Largest total size of header field lines in bytes; 431 beyond it.
    public var maxHeaderBytes: Int
    /// Most header fields in one request; 431 beyond it.
    public var maxHeaderCount: Int
    /// Largest request body in bytes (declared or received); 413 beyond it. `nil` =
    /// unlimited. Routes may override it (`RouteConfig.maxBodySize`).
    public var maxBodySize: Int?

    public init(maxRequestLine: Int = 8 * 1024, maxHeaderBytes: Int = 32 * 1024, maxHeaderCount: Int = 100, maxBodySize: Int? = nil) {
        self.maxRequestLine = maxRequestLine
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodySize = maxBodySize
    }
}
