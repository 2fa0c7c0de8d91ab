import Logging
import PorticoCore
import Synchronization

/// One listener's connection-level controls, compiled once per configuration generation
/// and shared by every connection it accepts, on every event loop: the PROXY protocol
/// flag, the listener access list and the connection caps.
///
/// A generation is immutable, so connections read it without locks. A reload that
/// changes a kept listener's settings compiles a new generation (`init(config:global:
/// logger:previous:)`) which the server hands to connections accepted from then on (one
/// read per accepted connection, none per request); connections already open keep the
/// generation they were accepted under and release their slots to its limiters. The
/// `lineage` (refusal counters, drain flag) and every limiter whose cap is unchanged
/// carry over, so counts are not reset by a reload.
///
/// Connections check themselves in on accept (`DownstreamHandler.admitConnection`) and
/// release what they took exactly once, when they close.
public final class ListenerRuntime: Sendable {
    public let name: String
    /// Connections must start with a PROXY protocol v1/v2 header.
    let proxyProtocol: Bool
    /// `allow`/`deny`; nil when the listener admits everyone (no check at all).
    let access: AccessList?
    /// `max_connections` of this listener.
    let connections: CountingLimiter?
    /// `max_connections_per_ip` of this listener, keyed by `ipKey(_:)`.
    let connectionsPerIP: ConcurrencyLimiter?
    /// `security.max_connections`: one instance shared by every listener of the server.
    let global: CountingLimiter?
    let logger: Logger
    /// `access_log` format and fields of this listener (nil: the global layout).
    let accessLog: ListenerAccessLogConfig?
    /// `http2`: h2c prior knowledge, SETTINGS and windows (HTTP2/HTTP2ListenerSettings.swift).
    let http2: HTTP2Config

    /// What every generation of this listener shares: counters and the drain flag.
    public let lineage: Lineage
    /// TLS policy of the listener's requests (`DownstreamHandler+TLS.swift`).
    let tlsPolicy: ListenerTLSPolicy

    /// The part of a listener that outlives reloads of its settings (it ends when a
    /// reload removes the listener or the server stops).
    public final class Lineage: Sendable {
        let refusedByAccess = Atomic<Int>(0)
        let refusedByLimit = Atomic<Int>(0)
        let refusedByProxyProtocol = Atomic<Int>(0)
        let evicted = Atomic<Int>(0)
        private let draining = Atomic<Bool>(false)

        init() {}

        /// Set when a reload removes the listener: its connections finish their current
        /// response and close, including any accepted after the drain sweep (checked
        /// once per connection, on accept).
        public var isDraining: Bool { self.draining.load(ordering: .acquiring) }

        public func startDraining() {
            self.draining.store(true, ordering: .releasing)
        }
    }

    /// A listener with no controls (tests and embedded uses).
    public static let unrestricted = ListenerRuntime(
        config: ListenerConfig(name: "-", address: HostPort(host: "127.0.0.1", port: 0)),
        global: nil,
        logger: Logger(label: "portico.listener")
    )

    /// - Parameter global: the server-wide `security.max_connections` limiter (the same
    ///   instance for every listener), or nil when unlimited.
    /// - Parameter previous: the generation this one replaces (a reload changed the
    ///   listener's settings): its lineage is kept, and so is each limiter whose cap did
    ///   not change, with its current count.
    public init(config: ListenerConfig, global: CountingLimiter?, logger: Logger, previous: ListenerRuntime? = nil) {
        self.lineage = previous?.lineage ?? Lineage()
        self.name = config.name
        self.proxyProtocol = config.proxyProtocol
        if config.access.isEmpty {
            self.access = nil
        } else {
            // ConfigLoader has validated the prefixes; an unparseable one is skipped.
            self.access = AccessList(
                allow: config.access.allow.compactMap { CIDR($0.text) },
                deny: config.access.deny.compactMap { CIDR($0.text) }
            )
        }
        if let previousLimiter = previous?.connections, previousLimiter.limit == config.maxConnections {
            self.connections = previousLimiter
        } else {
            self.connections = config.maxConnections.map { CountingLimiter(limit: $0) }
        }
        if let previousLimiter = previous?.connectionsPerIP, previousLimiter.limitPerKey == config.maxConnectionsPerIP {
            self.connectionsPerIP = previousLimiter
        } else {
            self.connectionsPerIP = config.maxConnectionsPerIP.map { ConcurrencyLimiter(limitPerKey: $0) }
        }
        self.global = global
        self.logger = logger
        self.accessLog = config.accessLog
        self.tlsPolicy = ListenerTLSPolicy(config: config)
        self.http2 = config.http2
    }

    /// Whether anything must be checked when a connection arrives.
    var hasAcceptChecks: Bool {
        self.access != nil || self.connections != nil || self.connectionsPerIP != nil || self.global != nil
    }

    /// The per-IP limiter key: the address's hash with the process's random seed, so a
    /// client choosing its address (anyone with an IPv6 /64) cannot aim at another
    /// client's counter. IPv4-mapped IPv6 counts as the IPv4 address.
    @inline(__always)
    static func ipKey(_ address: IPAddress) -> UInt64 {
        UInt64(bitPattern: Int64(address.unmapped.hashValue))
    }

    // MARK: Counters (logs, metrics, tests)

    enum Refusal {
        case access
        case limit
        case proxyProtocol
    }

    func noteRefused(_ reason: Refusal, client: String) {
        switch reason {
        case .access: self.lineage.refusedByAccess.add(1, ordering: .relaxed)
        case .limit: self.lineage.refusedByLimit.add(1, ordering: .relaxed)
        case .proxyProtocol: self.lineage.refusedByProxyProtocol.add(1, ordering: .relaxed)
        }
        self.logger.debug(
            "connection refused",
            metadata: ["listener": "\(self.name)", "client": "\(client)", "reason": "\(reason)"]
        )
    }

    func noteEvicted() {
        self.lineage.evicted.add(1, ordering: .relaxed)
    }

    /// Connections refused so far, by reason, and idle connections closed to make room
    /// under `security.max_connections`.
    public var refusedCounts: (access: Int, limit: Int, proxyProtocol: Int, evicted: Int) {
        (
            self.lineage.refusedByAccess.load(ordering: .relaxed),
            self.lineage.refusedByLimit.load(ordering: .relaxed),
            self.lineage.refusedByProxyProtocol.load(ordering: .relaxed),
            self.lineage.evicted.load(ordering: .relaxed)
        )
    }
}
