#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PorticoCore
import PorticoProxy

/// A running Portico: the listeners of one configuration, one `ProxyWorker` per
/// event-loop thread, and the access log.
///
/// Use `start()` to bind, `shutdown(grace:)` to stop gracefully. `ProxyService`
/// wraps this for swift-service-lifecycle (signals).
public final class ProxyServer: Sendable {
    public struct StartupError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The configuration in force: the one started with, or the last reload applied.
    public var config: PorticoConfig { self.current.withLockedValue { $0 }.config }
    let group: MultiThreadedEventLoopGroup
    private let ownsGroup: Bool
    let workers: [ObjectIdentifier: ProxyWorker]
    let accessLogWriter: AccessLogWriter?
    let logger: Logger
    /// Recent reload attempts and their totals (admin API, status page, metrics).
    public let reloadLog = ReloadLog()
    /// Control-plane metrics and the Prometheus registry of this server (Metrics/).
    public let controlPlaneMetrics = ControlPlaneMetrics()
    let state = NIOLockedValueBox(State())
    /// The configuration generation in force (the base of the next reload).
    let current: NIOLockedValueBox<RuntimeSnapshot>
    /// Health checks and DNS refreshes of the current generation's upstreams.
    let monitor: UpstreamMonitor
    /// Reloads (and the start) one at a time: listener binding is asynchronous.
    let reloads = SerialRunner()

    struct State {
        /// Bound listeners, in configuration order.
        var listeners: [BoundListener] = []
        /// Sockets received from a predecessor process, not yet adopted (`adopt(_:)`).
        var inherited: [ListenerKey: InheritedListener] = [:]
        /// `security.max_connections`, shared by every listener; nil when unlimited.
        var globalConnectionLimiter: CountingLimiter?
        /// Where `reload(trigger:)` goes (`attach(reloader:)`).
        var reloader: ConfigReloader?
        var isStarted = false
        var isShutDown = false
    }

    /// - Parameters:
    ///   - group: event loops to run on; by default a new group with `config.workers`
    ///     threads (one per core when unset), shut down with the server.
    public init(config: PorticoConfig, group: MultiThreadedEventLoopGroup? = nil, logger: Logger) throws {
        self.logger = logger
        if let group {
            self.group = group
            self.ownsGroup = false
        } else {
            self.group = MultiThreadedEventLoopGroup(numberOfThreads: config.workers ?? System.coreCount)
            self.ownsGroup = true
        }
        do {
            self.accessLogWriter = try AccessLogWriter.open(config.accessLog)
        } catch {
            if self.ownsGroup { try? self.group.syncShutdownGracefully() }
            throw StartupError(description: "\(error)")
        }
        let snapshot: RuntimeSnapshot
        do {
            snapshot = try RuntimeSnapshot(config: config, logger: logger)
        } catch {
            self.accessLogWriter?.close()
            if self.ownsGroup { try? self.group.syncShutdownGracefully() }
            throw StartupError(description: "\(error)")
        }
        self.current = NIOLockedValueBox(snapshot)
        self.monitor = UpstreamMonitor(eventLoopGroup: self.group, logger: logger)
        let globalLimiter = config.security.maxConnections.map { CountingLimiter(limit: $0) }
        self.state.withLockedValue { $0.globalConnectionLimiter = globalLimiter }
        var workers: [ObjectIdentifier: ProxyWorker] = [:]
        for loop in self.group.makeIterator() {
            workers[ObjectIdentifier(loop)] = ProxyWorker(
                eventLoop: loop,
                snapshot: snapshot,
                accessLogWriter: self.accessLogWriter
            )
        }
        self.workers = workers
        if let writer = self.accessLogWriter {
            self.addMetricsSource { Self.accessLogFamilies(writer) }
        }
        let state = self.state
        self.addMetricsSource { Self.tlsFamilies(state) }
    }

    /// Binds every listener (adopting the sockets received from a predecessor, see
    /// `adopt(_:)`). Throws `StartupError` with one clear line (e.g. the port is in use).
    @discardableResult
    public func start() async throws -> [SocketAddress] {
        try await self.reloads.run {
            try await self.bindInitialListeners()
        }
    }

    private func bindInitialListeners() async throws -> [SocketAddress] {
        let config = self.config
        let global = self.state.withLockedValue { $0.globalConnectionLimiter }
        var bound: [BoundListener] = []
        for listener in config.listeners {
            // One bootstrap per listener: its connections know their listener's
            // PROXY protocol, access list and connection caps.
            let runtime = ListenerRuntime(config: listener, global: global, logger: self.logger)
            do {
                let tls = try self.makeTLSContexts(for: listener, handshakeTimeout: config.timeouts.tlsHandshake, running: [:])
                bound.append(try await self.bindListener(listener, runtime: runtime, tls: tls))
            } catch {
                for listener in bound {
                    try? await listener.channel.close()
                }
                throw StartupError(description: "cannot listen on \(listener.address): \(Self.describe(error))")
            }
        }
        let unused = self.state.withLockedValue { state in
            state.listeners = bound
            state.isStarted = true
            defer { state.inherited = [:] }
            return Array(state.inherited.values)
        }
        // Inherited sockets the configuration no longer has: closing our descriptor
        // leaves them to the predecessor, which stops accepting on them as it drains.
        for listener in unused {
            self.logger.notice("inherited listener not configured; closing it", metadata: ["listener": "\(listener.key)"])
            close(listener.descriptor)
        }
        self.monitor.watch(self.current.withLockedValue { $0 })
        return bound.map(\.address)
    }

    /// The connection-level controls of each listener, in listener order (after
    /// `start()`): refusal counters for status and tests.
    public var listenerRuntimes: [ListenerRuntime] {
        self.state.withLockedValue { $0.listeners }.map(\.generation.runtime)
    }

    /// Bound addresses, in listener order (after `start()`).
    public var listeningAddresses: [SocketAddress] {
        self.state.withLockedValue { $0.listeners }.map(\.address)
    }

    /// Bound ports, in listener order (convenient with port 0 in tests).
    public var listeningPorts: [Int] {
        self.listeningAddresses.compactMap(\.port)
    }

    /// Reopens a file access log at its path (log rotation; SIGUSR1 under `portico run`).
    public func reopenLogs() {
        self.accessLogWriter?.reopen()
        self.logger.notice("access log reopened")
    }

    /// Live state of every upstream server (health, ejection, load).
    public func upstreamStatus() -> [UpstreamServerStatus] {
        self.current.withLockedValue { $0 }.upstreamStatus()
    }

    /// Stops accepting, lets in-flight requests finish for up to `grace`
    /// (default `timeouts.shutdown_grace`), closes what is left, flushes the access log.
    public func shutdown(grace: Duration? = nil) async {
        let (channels, inherited): ([any Channel], [InheritedListener]) = self.state.withLockedValue { state in
            guard !state.isShutDown else { return ([], []) }
            state.isShutDown = true
            defer { state.inherited = [:] }
            return (state.listeners.map(\.channel), Array(state.inherited.values))
        }
        // Closing a server channel closes this process's descriptor only (NIO does not
        // `shutdown()` listening sockets), so a successor that inherited the same socket
        // keeps accepting from its queue. Tested by TakeoverTests.
        for channel in channels {
            try? await channel.close()
        }
        for listener in inherited {
            close(listener.descriptor)
        }
        await self.monitor.stop()
        let grace = grace ?? self.config.timeouts.shutdownGrace
        let drained = EventLoopFuture.andAllComplete(
            self.workers.values.map { $0.quiesce() },
            on: self.group.any()
        )
        // Whichever comes first: every connection drained, or the grace period over.
        let loop = self.group.any()
        let finished = loop.makePromise(of: Void.self)
        let completed = NIOLockedValueBox(false)
        let finish: @Sendable () -> Void = {
            let first = completed.withLockedValue { done in
                defer { done = true }
                return !done
            }
            if first { finished.succeed() }
        }
        drained.whenComplete { _ in finish() }
        let graceTimer = loop.scheduleTask(in: TimeAmount(grace)) { finish() }
        try? await finished.futureResult.get()
        graceTimer.cancel()
        for worker in self.workers.values {
            try? await worker.forceClose().get()
        }
        self.accessLogWriter?.close()
        if self.ownsGroup {
            try? await self.group.shutdownGracefully()
        }
    }

    /// Open client connections across all workers.
    public func openConnectionCount() async throws -> Int {
        var total = 0
        for worker in self.workers.values {
            total += try await worker.openConnectionCount().get()
        }
        return total
    }

    static func describe(_ error: any Error) -> String {
        if let ioError = error as? IOError {
            return String(cString: strerror(ioError.errnoCode))
        }
        return "\(error)"
    }
}
