import NIOCore
import PorticoCore

/// One resolved upstream server: a configured `servers:` entry at one IP address.
///
/// A server written as an IP literal is one `UpstreamServer`; one written as a host
/// name becomes one per address the name resolves to (re-resolved every `dns_refresh`).
final class UpstreamServer: Sendable {
    let config: UpstreamServerConfig
    /// The resolved address connections go to (pool key).
    let address: HostPort
    let socketAddress: SocketAddress
    /// `ip:port`: the balancer's and the health registry's key.
    let identity: String
    /// `host:port` as configured, sent as `Host` when a route has `preserve_host: false`
    /// (a name, not the IP, so name-based virtual hosting on the origin works).
    let hostHeader: String
    /// Value of the sticky cookie that names this server (a hash; no address leaks).
    let stickyToken: String
    let state: ServerState
    let slowStartNanos: Int64
    /// The group's compiled connection settings (HTTP version, TLS context).
    let transport: UpstreamTransport
    /// Connections to this server use TLS (`UpstreamTransport.usesTLS`).
    let usesTLS: Bool
    /// SNI and certificate verification name (nil: no SNI, verify the IP address).
    let tlsName: String?

    init(config: UpstreamServerConfig, socketAddress: SocketAddress, state: ServerState, transport: UpstreamTransport = .plain) {
        self.transport = transport
        self.usesTLS = transport.usesTLS(config)
        self.tlsName = transport.tls.flatMap { UpstreamTransport.verificationName(tls: $0, server: config) }
        self.config = config
        self.socketAddress = socketAddress
        let ip = socketAddress.ipAddress ?? config.address.host
        self.address = HostPort(host: ip, port: config.address.port)
        self.identity = self.address.description
        self.hostHeader = config.address.description
        self.stickyToken = StickyCookie.token(forServer: self.identity)
        self.state = state
        self.slowStartNanos = config.slowStart.map { Int64($0.components.seconds) * 1_000_000_000 + $0.components.attoseconds / 1_000_000_000 } ?? 0
    }

    var isBackup: Bool { self.config.backup }
}

/// The servers of a group at one moment (after one DNS resolution), immutable.
final class GroupMembers: Sendable {
    let servers: [UpstreamServer]
    let stickyIndexByToken: [String: Int]
    let hasBackups: Bool
    /// Some server has `max_connections`, so in-flight requests must be counted.
    let limitsConnections: Bool
    /// Bumped on every change, so workers notice with one atomic load.
    let version: Int

    init(servers: [UpstreamServer], version: Int) {
        self.servers = servers
        var index: [String: Int] = [:]
        for (position, server) in servers.enumerated() {
            index[server.stickyToken] = position
        }
        self.stickyIndexByToken = index
        self.hasBackups = servers.contains { $0.isBackup }
        self.limitsConnections = servers.contains { $0.config.maxConnections != nil }
        self.version = version
    }

    /// Servers currently ejected by passive health, for the group's ejection cap.
    func ejectedCount() -> Int {
        var count = 0
        for server in self.servers where server.state.isEjected {
            count += 1
        }
        return count
    }
}
