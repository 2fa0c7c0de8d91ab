import NIOCore
import NIOHTTP1
import PorticoCore
import Synchronization

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

    public init(config: PorticoConfig) {
        self.config = config
        self.settings = ProxySettings(config: config)
        let groups = config.upstreams.map { UpstreamGroupRuntime(config: $0) }
        var groupIndexByName: [String: Int] = [:]
        for (index, group) in groups.enumerated() {
            groupIndexByName[group.name] = index
        }
        self.groups = groups
        self.routeTable = RouteTable(config.routes)
        self.routes = config.routes.map { CompiledRoute(config: $0, groupIndexByName: groupIndexByName) }
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
    let limits: LimitsConfig
    /// Pre-validated `Server` value for generated responses, or nil.
    let serverHeader: String?
    let accessLogEnabled: Bool

    init(config: PorticoConfig) {
        let timeouts = config.timeouts
        self.clientHeaderTimeout = TimeAmount(timeouts.clientHeader)
        self.clientIdleTimeout = TimeAmount(timeouts.clientIdle)
        self.clientBodyTimeout = TimeAmount(timeouts.clientBody)
        self.upstreamConnectTimeout = TimeAmount(timeouts.upstreamConnect)
        self.upstreamHeaderTimeout = TimeAmount(timeouts.upstreamHeader)
        self.upstreamIdleTimeout = TimeAmount(timeouts.upstreamIdle)
        self.limits = config.limits
        self.serverHeader = config.serverHeader
        self.accessLogEnabled = config.accessLog.destination != .off
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

    init(config: RouteConfig, groupIndexByName: [String: Int]) {
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
        self.responseHeaders = config.responseHeaders
        self.requestRules = CompiledHeaderRules(config.requestHeaders)
        self.responseRules = CompiledHeaderRules(config.responseHeaders)
    }
}

/// Runtime view of an upstream group: its servers and the balancer state.
final class UpstreamGroupRuntime: Sendable {
    struct Server: Sendable {
        let address: HostPort
        /// `host:port` as sent in `Host` when `preserve_host: false`.
        let hostHeader: String
        /// Pre-parsed address for IP literals; host names are resolved at connect time.
        let socketAddress: SocketAddress?

        init(address: HostPort) {
            self.address = address
            self.hostHeader = address.description
            self.socketAddress = try? SocketAddress(ipAddress: address.host, port: address.port)
        }
    }

    let name: String
    let servers: [Server]
    let keepalive: KeepaliveConfig
    private let nextIndex = Atomic<Int>(0)

    init(config: UpstreamGroupConfig) {
        self.name = config.name
        self.servers = config.servers.map { Server(address: $0.address) }
        self.keepalive = config.keepalive
    }

    /// Round robin (RFC-free; nginx's default). One relaxed atomic increment per request.
    func nextServerIndex() -> Int {
        let count = self.servers.count
        guard count > 1 else { return 0 }
        let ticket = self.nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue
        return Int(UInt(bitPattern: ticket) % UInt(count))
    }
}
