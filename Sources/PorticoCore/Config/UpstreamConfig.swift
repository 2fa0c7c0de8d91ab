/// A named set of upstream servers sharing one balancer, one health policy, one retry
/// policy and one connection-pool policy. See `docs/load-balancing.md`.
public struct UpstreamGroupConfig: Sendable, Equatable {
    public var name: String
    public var servers: [UpstreamServerConfig]
    public var balance: BalancePolicy
    /// What `consistent_hash` hashes (ignored by other policies).
    public var hashKey: HashKeySource
    /// Cookie settings for `balance: sticky` (ignored by other policies).
    public var sticky: StickyConfig
    public var keepalive: KeepaliveConfig
    /// Active HTTP probes; `nil` means no active checks (servers stay healthy unless
    /// passive outlier detection ejects them).
    public var healthCheck: HealthCheckConfig?
    public var outlierDetection: OutlierDetectionConfig
    public var retries: RetryConfig
    /// Where requests wait when every eligible server is at `max_connections`.
    public var queue: QueueConfig
    /// How often servers given by host name are re-resolved.
    public var dnsRefresh: Duration
    /// TLS settings for every server of the group (`tls:`); `nil` means TLS only to
    /// servers written `https://`, with the defaults of `UpstreamTLSConfig`.
    public var tls: UpstreamTLSConfig? = nil
    /// HTTP/1.1 or HTTP/2 to the servers (`protocol:`).
    public var upstreamProtocol: UpstreamProtocol = .http1

    public init(
        name: String,
        servers: [UpstreamServerConfig],
        balance: BalancePolicy = .roundRobin,
        hashKey: HashKeySource = .clientIP,
        sticky: StickyConfig = StickyConfig(),
        keepalive: KeepaliveConfig = KeepaliveConfig(),
        healthCheck: HealthCheckConfig? = nil,
        outlierDetection: OutlierDetectionConfig = OutlierDetectionConfig(),
        retries: RetryConfig = RetryConfig(),
        queue: QueueConfig = QueueConfig(),
        dnsRefresh: Duration = .seconds(30)
    ) {
        self.name = name
        self.servers = servers
        self.balance = balance
        self.hashKey = hashKey
        self.sticky = sticky
        self.keepalive = keepalive
        self.healthCheck = healthCheck
        self.outlierDetection = outlierDetection
        self.retries = retries
        self.queue = queue
        self.dnsRefresh = dnsRefresh
    }
}

/// How a group chooses a server for each request (`balance:`).
public enum BalancePolicy: String, Sendable, Equatable, CaseIterable {
    /// Servers in turn, skipping unavailable ones; weights ignored. nginx's default.
    case roundRobin = "round_robin"
    /// nginx's smooth weighted round robin: 5:1:1 gives a,a,b,a,c,a,a — never five in a row.
    case weightedRoundRobin = "weighted_round_robin"
    /// Fewest in-flight requests relative to weight; ties broken at random.
    case leastRequests = "least_requests"
    /// Two random candidates, the less loaded one wins.
    case powerOfTwoChoices = "power_of_two_choices"
    /// A hash ring over `hash_key`: the same key goes to the same server, and removing
    /// one of N servers remaps about 1/N of keys.
    case consistentHash = "consistent_hash"
    /// A cookie pins each client to the server that answered its first request.
    case sticky = "sticky"

    /// Policies that may serve as `sticky.fallback` (they need no key).
    public static let stickyFallbacks: [BalancePolicy] = [
        .roundRobin, .weightedRoundRobin, .leastRequests, .powerOfTwoChoices,
    ]
}

/// What `consistent_hash` hashes.
public enum HashKeySource: Sendable, Equatable {
    /// The client's IP address (the TCP peer).
    case clientIP
    /// The value of a request header (a missing header hashes as empty).
    case header(String)
    /// The value of a request cookie (a missing cookie hashes as empty).
    case cookie(String)
    /// The request path (without the query).
    case path
}

/// The cookie `balance: sticky` sets on the first response (RFC 6265).
public struct StickyConfig: Sendable, Equatable {
    public var cookieName: String
    /// Chooses the server for a client without a (valid, available) sticky cookie.
    public var fallback: BalancePolicy
    /// `Max-Age`; `nil` makes a session cookie.
    public var maxAge: Duration?
    public var path: String
    public var secure: Bool
    public var httpOnly: Bool
    /// `SameSite` value (`Lax`, `Strict`, `None`), or `nil` to omit the attribute.
    public var sameSite: String?

    public init(
        cookieName: String = "portico_server",
        fallback: BalancePolicy = .roundRobin,
        maxAge: Duration? = nil,
        path: String = "/",
        secure: Bool = false,
        httpOnly: Bool = true,
        sameSite: String? = "Lax"
    ) {
        self.cookieName = cookieName
        self.fallback = fallback
        self.maxAge = maxAge
        self.path = path
        self.secure = secure
        self.httpOnly = httpOnly
        self.sameSite = sameSite
    }
}

/// One entry of an upstream group's `servers:`.
public struct UpstreamServerConfig: Sendable, Equatable {
    /// An IP literal or a host name; a host name is resolved at start and every
    /// `dns_refresh`, and each of its addresses becomes a server.
    public var address: HostPort
    /// Relative share for weighted policies (1...1000).
    public var weight: Int
    /// Most concurrent requests this server gets; `nil` means unlimited. A full server
    /// is skipped; when every server is full requests wait in the group's queue.
    public var maxConnections: Int?
    /// Used only when no primary server is available.
    public var backup: Bool
    /// After the server recovers (or is added), its weight ramps up over this period.
    public var slowStart: Duration?
    /// Written `https://…`: connections to this server use TLS even when the group
    /// has no `tls:` section.
    public var tls: Bool

    public init(
        address: HostPort,
        weight: Int = 1,
        maxConnections: Int? = nil,
        backup: Bool = false,
        slowStart: Duration? = nil,
        tls: Bool = false
    ) {
        self.tls = tls
        self.address = address
        self.weight = weight
        self.maxConnections = maxConnections
        self.backup = backup
        self.slowStart = slowStart
    }
}

/// Upstream keep-alive pool settings. Pools are per event loop (like nginx workers),
/// so `maxIdlePerWorker` bounds idle connections per server per worker thread.
public struct KeepaliveConfig: Sendable, Equatable {
    public var maxIdlePerWorker: Int
    public var idleTimeout: Duration

    public init(maxIdlePerWorker: Int = 64, idleTimeout: Duration = .seconds(60)) {
        self.maxIdlePerWorker = maxIdlePerWorker
        self.idleTimeout = idleTimeout
    }
}

/// Active health checks: an HTTP probe per server every `interval`.
public struct HealthCheckConfig: Sendable, Equatable {
    public var method: String
    /// Origin-form target, e.g. `/healthz`.
    public var path: String
    /// `Host` header of the probe; default is the server's `host:port`.
    public var host: String?
    public var interval: Duration
    public var timeout: Duration
    /// A probe passes when its status is in this range (written `200-399` or `2xx`).
    public var expectStatus: ClosedRange<Int>
    /// When set, the body (first 64 KiB) must also contain this text.
    public var expectBody: String?
    /// Consecutive passing probes that mark an unhealthy server healthy.
    public var healthyThreshold: Int
    /// Consecutive failing probes that mark a healthy server unhealthy.
    public var unhealthyThreshold: Int
    /// Whether servers start healthy (default) or must pass probes first.
    public var startHealthy: Bool

    public init(
        method: String = "GET",
        path: String = "/",
        host: String? = nil,
        interval: Duration = .seconds(5),
        timeout: Duration = .seconds(2),
        expectStatus: ClosedRange<Int> = 200...399,
        expectBody: String? = nil,
        healthyThreshold: Int = 2,
        unhealthyThreshold: Int = 3,
        startHealthy: Bool = true
    ) {
        self.method = method
        self.path = path
        self.host = host
        self.interval = interval
        self.timeout = timeout
        self.expectStatus = expectStatus
        self.expectBody = expectBody
        self.healthyThreshold = healthyThreshold
        self.unhealthyThreshold = unhealthyThreshold
        self.startHealthy = startHealthy
    }
}

/// Passive health: servers that fail real requests are ejected for a while.
public struct OutlierDetectionConfig: Sendable, Equatable {
    public var enabled: Bool
    /// Consecutive failures (connect failures, timeouts, `statuses`) that eject a server.
    public var consecutiveFailures: Int
    /// Upstream response statuses that count as failures (e.g. 502, 503, 504).
    public var statuses: [Int]
    /// First ejection lasts this long; each further ejection adds as much again.
    public var baseEjectionTime: Duration
    /// Cap on one ejection's length.
    public var maxEjectionTime: Duration
    /// At most this share of a group's servers (percent) is ejected at once.
    public var maxEjectedPercent: Int

    public init(
        enabled: Bool = true,
        consecutiveFailures: Int = 5,
        statuses: [Int] = [],
        baseEjectionTime: Duration = .seconds(30),
        maxEjectionTime: Duration = .seconds(300),
        maxEjectedPercent: Int = 50
    ) {
        self.enabled = enabled
        self.consecutiveFailures = consecutiveFailures
        self.statuses = statuses
        self.baseEjectionTime = baseEjectionTime
        self.maxEjectionTime = maxEjectionTime
        self.maxEjectedPercent = maxEjectedPercent
    }
}

/// When a failed attempt is tried again on another server.
public struct RetryConfig: Sendable, Equatable {
    /// Total tries per request, the first included (1 disables retries).
    public var maxAttempts: Int
    /// No new attempt starts once this much time has passed since the first; `nil` = no limit.
    public var tryTimeout: Duration?
    /// Upstream statuses that make an idempotent request try another server.
    public var onStatuses: [Int]
    /// Retries may add at most this percentage on top of the group's requests.
    public var budgetPercent: Int
    /// Retries always allowed per second regardless of the budget (so low traffic can retry).
    public var minRetriesPerSecond: Int
    /// Request bodies up to this size are kept for replay; a longer body cannot be retried
    /// once its first byte past the buffer has been sent.
    public var replayBufferBytes: Int

    public init(
        maxAttempts: Int = 3,
        tryTimeout: Duration? = .seconds(15),
        onStatuses: [Int] = [],
        budgetPercent: Int = 20,
        minRetriesPerSecond: Int = 10,
        replayBufferBytes: Int = 64 * 1024
    ) {
        self.maxAttempts = maxAttempts
        self.tryTimeout = tryTimeout
        self.onStatuses = onStatuses
        self.budgetPercent = budgetPercent
        self.minRetriesPerSecond = minRetriesPerSecond
        self.replayBufferBytes = replayBufferBytes
    }
}

/// The wait queue used when every eligible server is at `max_connections`.
public struct QueueConfig: Sendable, Equatable {
    /// Most waiting requests per group; 0 answers 503 at once.
    public var size: Int
    /// A request waiting longer gets 503.
    public var timeout: Duration

    public init(size: Int = 100, timeout: Duration = .seconds(10)) {
        self.size = size
        self.timeout = timeout
    }
}
