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

    public init(
        listeners: [ListenerConfig] = [],
        upstreams: [UpstreamGroupConfig] = [],
        routes: [RouteConfig] = [],
        workers: Int? = nil,
        serverHeader: String? = "portico",
        timeouts: TimeoutsConfig = TimeoutsConfig(),
        limits: LimitsConfig = LimitsConfig(),
        accessLog: AccessLogConfig = AccessLogConfig()
    ) {
        self.listeners = listeners
        self.upstreams = upstreams
        self.routes = routes
        self.workers = workers
        self.serverHeader = serverHeader
        self.timeouts = timeouts
        self.limits = limits
        self.accessLog = accessLog
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

    public init(name: String, address: HostPort) {
        self.name = name
        self.address = address
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

    public init(
        name: String,
        match: RouteMatch = RouteMatch(),
        action: RouteAction,
        stripPrefix: String? = nil,
        preserveHost: Bool = true,
        requestHeaders: HeaderRules = HeaderRules(),
        responseHeaders: HeaderRules = HeaderRules()
    ) {
        self.name = name
        self.match = match
        self.action = action
        self.stripPrefix = stripPrefix
        self.preserveHost = preserveHost
        self.requestHeaders = requestHeaders
        self.responseHeaders = responseHeaders
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

    public init(
        clientHeader: Duration = .seconds(10),
        clientIdle: Duration = .seconds(75),
        clientBody: Duration = .seconds(60),
        upstreamConnect: Duration = .seconds(5),
        upstreamHeader: Duration = .seconds(60),
        upstreamIdle: Duration = .seconds(60),
        shutdownGrace: Duration = .seconds(30)
    ) {
        self.clientHeader = clientHeader
        self.clientIdle = clientIdle
        self.clientBody = clientBody
        self.upstreamConnect = upstreamConnect
        self.upstreamHeader = upstreamHeader
        self.upstreamIdle = upstreamIdle
        self.shutdownGrace = shutdownGrace
    }
}

/// Request-head size limits (RFC 9112 §3: servers should answer 414 for an overlong
/// request target and 431 for oversized header fields, RFC 6585 §5).
public struct LimitsConfig: Sendable, Equatable {
    /// Longest request line (method, target, version) in bytes; 414 beyond it.
    public var maxRequestLine: Int
    /// Largest total size of header field lines in bytes; 431 beyond it.
    public var maxHeaderBytes: Int
    /// Most header fields in one request; 431 beyond it.
    public var maxHeaderCount: Int

    public init(maxRequestLine: Int = 8 * 1024, maxHeaderBytes: Int = 32 * 1024, maxHeaderCount: Int = 100) {
        self.maxRequestLine = maxRequestLine
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
    }
}

public struct AccessLogConfig: Sendable, Equatable {
    public enum Destination: Sendable, Equatable {
        case off
        case stdout
        case stderr
        case file(String)
    }

    public enum Format: String, Sendable, Equatable, CaseIterable {
        /// Combined-log-like text with upstream fields appended.
        case text
        /// One JSON object per line.
        case json
    }

    public var destination: Destination
    public var format: Format

    public init(destination: Destination = .stdout, format: Format = .text) {
        self.destination = destination
        self.format = format
    }
}
