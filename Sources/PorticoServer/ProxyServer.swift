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

    public let config: PorticoConfig
    let group: MultiThreadedEventLoopGroup
    private let ownsGroup: Bool
    let workers: [ObjectIdentifier: ProxyWorker]
    let accessLogWriter: AccessLogWriter?
    let logger: Logger
    /// Recent reload attempts and their totals (admin API, status page, metrics).
    public let reloadLog = ReloadLog()
    private let state = NIOLockedValueBox(State())
    /// The configuration generation in force (the base of the next reload).
    let current: NIOLockedValueBox<RuntimeSnapshot>
    /// Health checks and DNS refreshes of the current generation's upstreams.
    let monitor: UpstreamMonitor
    /// `security.max_connections`, shared by every listener; nil when unlimited.
    private let globalConnectionLimiter: CountingLimiter?

    private struct State {
        var serverChannels: [any Channel] = []
        var listeningAddresses: [SocketAddress] = []
        var listenerRuntimes: [ListenerRuntime] = []
        var isShutDown = false
    }

    /// - Parameters:
    ///   - group: event loops to run on; by default a new group with `config.workers`
    ///     threads (one per core when unset), shut down with the server.
    public init(config: PorticoConfig, group: MultiThreadedEventLoopGroup? = nil, logger: Logger) throws {
        self.config = config
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
        self.globalConnectionLimiter = config.security.maxConnections.map { CountingLimiter(limit: $0) }
        var workers: [ObjectIdentifier: ProxyWorker] = [:]
        for loop in self.group.makeIterator() {
            workers[ObjectIdentifier(loop)] = ProxyWorker(
                eventLoop: loop,
                snapshot: snapshot,
                accessLogWriter: self.accessLogWriter
            )
        }
        self.workers = workers
    }

    /// Binds every listener. Throws `StartupError` with one clear line (e.g. the port is in use).
    @discardableResult
    public func start() async throws -> [SocketAddress] {
        var channels: [any Channel] = []
        var addresses: [SocketAddress] = []
        var runtimes: [ListenerRuntime] = []
        for listener in self.config.listeners {
            // One bootstrap per listener: its connections know their listener's
            // PROXY protocol, access list and connection caps.
            let runtime = ListenerRuntime(config: listener, global: self.globalConnectionLimiter, logger: self.logger)
            runtimes.append(runtime)
            let bootstrap = self.makeBootstrap(listener: runtime)
            do {
                let channel = try await bootstrap.bind(host: listener.address.host, port: listener.address.port).get()
                channels.append(channel)
                if let address = channel.localAddress {
                    addresses.append(address)
                }
                self.logger.info(
                    "listening",
                    metadata: ["listener": "\(listener.name)", "address": "\(channel.localAddress.map { "\($0)" } ?? "?")"]
                )
            } catch {
                for channel in channels {
                    try? await channel.close()
                }
                throw StartupError(description: "cannot listen on \(listener.address): \(Self.describe(error))")
            }
        }
        self.state.withLockedValue {
            $0.serverChannels = channels
            $0.listeningAddresses = addresses
            $0.listenerRuntimes = runtimes
        }
        self.monitor.watch(self.current.withLockedValue { $0 })
        return addresses
    }

    private func makeBootstrap(listener: ListenerRuntime) -> ServerBootstrap {
        let workers = self.workers
        return ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Accept up to 16 connections per wakeup (measured: +17% on
            // connection-per-request; 64 was worse). See PERFORMANCE.md.
            .serverChannelOption(.maxMessagesPerRead, value: 16)
            // No per-connection TCP_NODELAY: NIO sets it on the listening socket and
            // Linux copies it to accepted sockets, saving a setsockopt per connection.
            // Let receive buffers grow to 256 KiB for bulk transfers (measured: +38% on
            // 100 KiB responses); they start small so idle connections stay cheap.
            .childChannelOption(
                .recvAllocator,
                value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: 256 * 1024)
            )
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let worker = workers[ObjectIdentifier(channel.eventLoop)] else {
                        throw StartupError(description: "no worker for event loop")
                    }
                    try DownstreamPipeline.configure(channel, worker: worker, listener: listener)
                }
            }
    }

    /// The connection-level controls of each listener, in listener order (after
    /// `start()`): refusal counters for status and tests.
    public var listenerRuntimes: [ListenerRuntime] {
        self.state.withLockedValue { $0.listenerRuntimes }
    }

    /// Bound addresses, in listener order (after `start()`).
    public var listeningAddresses: [SocketAddress] {
        self.state.withLockedValue { $0.listeningAddresses }
    }

    /// Bound ports, in listener order (convenient with port 0 in tests).
    public var listeningPorts: [Int] {
        self.listeningAddresses.compactMap(\.port)
    }

    /// Switches to a new configuration's routes, upstreams and settings without closing
    /// any connection: requests in flight finish under the generation they started with.
    /// Servers that keep their address keep their health, ejections and counters.
    /// Listeners are not re-bound (their addresses stay as started). If the new
    /// configuration cannot be compiled (an unreadable htpasswd file, a bad key), it
    /// throws and the running configuration stays in force.
    public func reload(config: PorticoConfig) throws {
        let snapshot = try self.current.withLockedValue { current in
            let next = try RuntimeSnapshot(config: config, previous: current, logger: self.logger)
            current = next
            return next
        }
        for worker in self.workers.values {
            worker.update(snapshot: snapshot)
        }
        self.monitor.watch(snapshot)
        if config.listeners != self.config.listeners {
            self.logger.warning("listener changes take effect on restart; the listeners keep their start-up settings")
        }
        self.logger.notice("configuration reloaded", metadata: ["upstreams": "\(config.upstreams.count)", "routes": "\(config.routes.count)"])
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
        let channels: [any Channel] = self.state.withLockedValue { state in
            guard !state.isShutDown else { return [] }
            state.isShutDown = true
            return state.serverChannels
        }
        for channel in channels {
            try? await channel.close()
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

    private static func describe(_ error: any Error) -> String {
        if let ioError = error as? IOError {
            return String(cString: strerror(ioError.errnoCode))
        }
        return "\(error)"
    }
}
