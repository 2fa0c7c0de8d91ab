import NIOCore
import NIOHTTP1
import PorticoCore
import Logging

/// One compiled configuration generation.
///
/// Built once from a validated `PorticoConfig` and never mutated afterwards (apart
/// from the balancers' counters), so every event loop can read it without locks. A
/// reload builds a new snapshot and hands it to each worker on its own loop; requests
/// in flight keep the snapshot they started with.
public final class RuntimeSnapshot: Sendable {
    public let config: PorticoConfig
    let routeTable: RouteTable
    let routes: [CompiledRoute]
    let groups: [UpstreamGroupRuntime]
    let settings: ProxySettings
    let security: SecurityRuntime
    /// The shared response cache, when a route caches (kept across reloads while the
    /// top-level `cache:` settings do not change).
    public let cache: ResponseCache?

    /// - Parameters:
    ///   - previous: the generation this one replaces; servers still at the same address
    ///     in a group of the same name keep their live state (health, ejections,
    ///     counters), so a reload does not reset what Portico learned about them.
    ///   - logger: where server state changes (down, up, ejected, restored) are logged.
    /// - Throws: `RouteAuthenticator.LoadError` when an htpasswd or key file of a route's
    ///   `auth:` cannot be read or is refused (a start fails; a reload keeps the old
    ///   generation), or `NIOSSLError` when an upstream group's TLS files cannot be loaded.
    public init(
        config: PorticoConfig,
        previous: RuntimeSnapshot? = nil,
        logger: Logger = Logger(label: "portico.upstream")
    ) throws {
        self.config = config
        self.settings = ProxySettings(config: config)
        self.security = SecurityRuntime(config: config.security)
        self.cache = try ResponseCache.forGeneration(config, previous: previous?.cache)
        var authenticators: [RouteAuthenticator?] = []
        for route in config.routes {
            authenticators.append(try route.auth.map { try RouteAuthenticator(route: route.name, auth: $0) })
        }
        var previousGroups: [String: UpstreamGroupRuntime] = [:]
        for group in previous?.groups ?? [] {
            previousGroups[group.name] = group
        }
        let groups = try config.upstreams.map {
            UpstreamGroupRuntime(
                config: $0, previous: previousGroups[$0.name], logger: logger,
                transport: try UpstreamTransport(group: $0, logger: logger)
            )
        }
        var groupIndexByName: [String: Int] = [:]
        for (index, group) in groups.enumerated() {
            groupIndexByName[group.name] = index
        }
        self.groups = groups
        self.routeTable = RouteTable(config.routes)
        self.routes = zip(config.routes, authenticators).map { route, authenticator in
            CompiledRoute(
                config: route, groupIndexByName: groupIndexByName, security: config.security,
                limits: config.limits, authenticator: authenticator
            )
        }
    }
}

/// Per-process settings the data path reads on every request, pre-converted to NIO types.
struct ProxySettings: Sendable {
    let clientHeaderTimeout: TimeAmount
    let clientIdleTimeout: TimeAmount
    let clientBodyTimeout: TimeAmount
    let upstreamConnectTimeout: TimeAmount
    let upstreamHeaderTimeout: TimeAmount
    let upstreamIdleTimeout: TimeAmount
    /// `timeouts.client_send`; zero or less turns it off.
    let clientSendTimeout: TimeAmount
    /// `timeouts.tunnel_idle`: an Upgrade tunnel with no traffic either way closes.
    let tunnelIdleTimeout: TimeAmount
    /// `timeouts.client_min_body_rate` in bytes/s; 0 = off.
    let clientMinBodyRate: Int
    let clientMinBodyRateGraceNanos: Int64
    let limits: LimitsConfig
    /// Pre-validated `Server` value for generated responses, or nil.
    let serverHeader: String?
    let accessLogEnabled: Bool
    let requestID: RequestIDConfig
    let traceContext: TraceContextConfig

    init(config: PorticoConfig) {
        let timeouts = config.timeouts
        self.clientHeaderTimeout = TimeAmount(timeouts.clientHeader)
        self.clientIdleTimeout = TimeAmount(timeouts.clientIdle)
        self.clientBodyTimeout = TimeAmount(timeouts.clientBody)
        self.upstreamConnectTimeout = TimeAmount(timeouts.upstreamConnect)
        self.upstreamHeaderTimeout = TimeAmount(timeouts.upstreamHeader)
        self.upstreamIdleTimeout = TimeAmount(timeouts.upstreamIdle)
        self.clientSendTimeout = TimeAmount(timeouts.clientSend)
        self.tunnelIdleTimeout = TimeAmount(timeouts.tunnelIdle)
        self.clientMinBodyRate = max(0, timeouts.clientMinBodyRate)
        self.clientMinBodyRateGraceNanos = TimeAmount(timeouts.clientMinBodyRateGracePeriod).nanoseconds
        self.limits = config.limits
        self.serverHeader = config.serverHeader
        self.accessLogEnabled = config.accessLog.destination != .off
        self.requestID = config.requestID
        self.traceContext = config.traceContext
    }
}

/// A route with its action resolved to indices and prebuilt response bodies.
struct CompiledRoute: Sendable {
    enum Action: Sendable {
        case upstream(groupIndex: Int)
        case redirect(status: HTTPResponseStatus, location: String)
        case respond(status: HTTPResponseStatus, body: ByteBuffer, contentType: String)
    }

    let name: String
    let action: Action
    let stripPrefix: String?
    let preserveHost: Bool
    let requestHeaders: HeaderRules
    let responseHeaders: HeaderRules
    /// The same rules prepared for the wire writer.
    let requestRules: CompiledHeaderRules
    let responseRules: CompiledHeaderRules
    /// Edge-security checks, or nil when the route has none.
    let routeGuard: RouteGuard?
    /// `redirect_https`: cleartext requests are redirected (`DownstreamHandler+TLS.swift`).
    let redirectHTTPS: HTTPSRedirect?
    /// The response rules for cleartext responses when they differ (the route's
    /// `security_headers` HSTS is left out: RFC 6797 §7.2), else nil.
    let cleartextResponse: (headers: HeaderRules, rules: CompiledHeaderRules)?
    /// `cache:` (upstream routes only), or nil.
    let cache: RouteCacheConfig?
    /// `compression:` (the route's own or the inherited top-level one), or nil.
    let compression: CompressionConfig?

    init(
        config: RouteConfig,
        groupIndexByName: [String: Int],
        security: SecurityConfig = SecurityConfig(),
        limits: LimitsConfig = LimitsConfig(),
        authenticator: RouteAuthenticator? = nil
    ) {
        self.name = config.name
        switch config.action {
        case .upstream(let name):
            // Validation guarantees the reference resolves; an unresolved name is a
            // programming error caught by `ConfigLoader`, mapped defensively to 502s.
            self.action = .upstream(groupIndex: groupIndexByName[name] ?? -1)
        case .redirect(let status, let location):
            self.action = .redirect(status: HTTPResponseStatus(statusCode: status), location: location)
        case .respond(let status, let body, let contentType):
            self.action = .respond(
                status: HTTPResponseStatus(statusCode: status),
                body: ByteBuffer(string: body),
                contentType: contentType
            )
        }
        self.stripPrefix = config.stripPrefix
        self.preserveHost = config.preserveHost
        self.requestHeaders = config.requestHeaders
        let responseHeaders = SecurityRuntime.responseRules(route: config, security: security)
        self.responseHeaders = responseHeaders
        self.requestRules = CompiledHeaderRules(config.requestHeaders)
        self.responseRules = CompiledHeaderRules(responseHeaders)
        self.redirectHTTPS = config.redirectHTTPS
        self.cache = config.cache
        self.compression = config.compression
        let cleartextHeaders = SecurityRuntime.responseRules(route: config, security: security, secure: false)
        self.cleartextResponse = cleartextHeaders == responseHeaders ? nil : (cleartextHeaders, CompiledHeaderRules(cleartextHeaders))
        let routeGuard = RouteGuard(route: config, limits: limits, authenticator: authenticator)
        self.routeGuard = routeGuard.isActive || !routeGuard.errorPageStatuses.isEmpty ? routeGuard : nil
    }
}
