#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import PorticoCore
import PorticoProxy

/// Binding listeners, reconciling them on reload, and handing their sockets over.
extension ProxyServer {
    /// Binds (or adopts an inherited socket for) one listener and starts accepting on it.
    func bindListener(_ config: ListenerConfig, runtime: ListenerRuntime, tls: ListenerTLSContexts? = nil) async throws -> BoundListener {
        let key = ListenerKey(config)
        var inherited = self.state.withLockedValue { $0.inherited.removeValue(forKey: key) }
        if let received = inherited, !ListeningSocket.isListening(received.descriptor) {
            self.logger.warning("inherited socket is not listening; binding afresh", metadata: ["listener": "\(key)"])
            close(received.descriptor)
            inherited = nil
        }
        let descriptor: CInt
        if let inherited {
            descriptor = inherited.descriptor
        } else {
            descriptor = try ListeningSocket.bind(host: config.address.host, port: config.address.port)
        }
        let generation = ListenerGeneration(config: config, runtime: runtime, tls: tls)
        let channel: any Channel
        do {
            channel = try await self.makeBootstrap(generation: generation).withBoundSocket(descriptor).get()
        } catch {
            // NIO closes the descriptor if it failed after adopting it; a descriptor it
            // never adopted is leaked rather than risk closing a reused number twice.
            throw error
        }
        ListeningSocket.restoreBacklog(descriptor)
        let address = channel.localAddress ?? (try? SocketAddress(ipAddress: config.address.host, port: config.address.port))
        guard let address else {
            try? await channel.close()
            throw StartupError(description: "no local address")
        }
        self.logger.info(
            inherited == nil ? "listening" : "listening (inherited socket)",
            metadata: ["listener": "\(config.name)", "address": "\(address)"]
        )
        return BoundListener(key: key, channel: channel, descriptor: descriptor, address: address, generation: generation)
    }

    private func makeBootstrap(generation: ListenerGeneration) -> ServerBootstrap {
        let workers = self.workers
        let logger = self.logger
        return ServerBootstrap(group: self.group)
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
                    // The listener's settings generation in force when the connection
                    // was accepted: one read per connection, none per request.
                    let (runtime, tls) = generation.connectionSettings
                    if let tls {
                        try tls.configure(channel, worker: worker, listener: runtime, logger: logger)
                    } else {
                        try DownstreamPipeline.configure(channel, worker: worker, listener: runtime)
                    }
                }
            }
    }

    /// Makes `start()` accept on sockets received from a predecessor process instead of
    /// binding fresh ones, for the listeners of the same key. Call before `start()`;
    /// inherited sockets no listener claims are closed by `start()`.
    public func adopt(_ listeners: [InheritedListener]) {
        let unclaimed: [InheritedListener] = self.state.withLockedValue { state in
            guard !state.isStarted, !state.isShutDown else { return listeners }
            for listener in listeners {
                state.inherited[listener.key] = listener
            }
            return []
        }
        for listener in unclaimed {
            close(listener.descriptor)
        }
    }

    /// The listening sockets a successor may inherit: descriptors valid while this
    /// server has not shut down.
    func listenerHandles() -> [InheritedListener] {
        self.state.withLockedValue { state in
            state.isShutDown ? [] : state.listeners.map {
                InheritedListener(key: $0.key, address: ProxyService.describe($0.address), descriptor: $0.descriptor)
            }
        }
    }

    /// The listener half of a reload, step one: binds the listeners `next` adds. On any
    /// failure the ones bound so far are closed and the error is thrown (nothing changed).
    func bindAdded(_ plan: ListenerPlan, global: CountingLimiter?, tls: [ListenerKey: ListenerTLSContexts] = [:]) async throws -> [BoundListener] {
        var bound: [BoundListener] = []
        for listener in plan.added {
            do {
                let runtime = ListenerRuntime(config: listener, global: global, logger: self.logger)
                bound.append(try await self.bindListener(listener, runtime: runtime, tls: tls[ListenerKey(listener)]))
            } catch {
                for listener in bound {
                    try? await listener.channel.close()
                }
                throw StartupError(description: "cannot listen on \(listener.address): \(Self.describe(error))")
            }
        }
        return bound
    }

    /// The listener half of a reload, step two (after the new snapshot is in force):
    /// kept listeners take their new settings for new connections, added ones join in
    /// configuration order, removed ones stop accepting and drain.
    func applyListeners(
        _ next: [ListenerConfig],
        added: [BoundListener],
        global: CountingLimiter?,
        globalChanged: Bool,
        tls: [ListenerKey: ListenerTLSContexts] = [:]
    ) async {
        let (removed, kept): ([BoundListener], [BoundListener]) = self.state.withLockedValue { state in
            var byKey: [ListenerKey: BoundListener] = [:]
            for listener in state.listeners { byKey[listener.key] = listener }
            for listener in added { byKey[listener.key] = listener }
            var ordered: [BoundListener] = []
            var kept: [BoundListener] = []
            for config in next {
                guard let listener = byKey.removeValue(forKey: ListenerKey(config)) else { continue }
                ordered.append(listener)
                if !added.contains(where: { $0 === listener }) { kept.append(listener) }
            }
            state.listeners = ordered
            return (Array(byKey.values), kept)
        }
        let nextByKey = Dictionary(next.map { (ListenerKey($0), $0) }, uniquingKeysWith: { first, _ in first })
        for listener in kept {
            guard let config = nextByKey[listener.key] else { continue }
            // Certificate files are re-read on every reload, changed configuration or not.
            listener.generation.update(tls: tls[listener.key])
            let previous = listener.generation.runtime
            guard config != listener.generation.config || globalChanged else { continue }
            let runtime = ListenerRuntime(config: config, global: global, logger: self.logger, previous: previous)
            listener.generation.update(config: config, runtime: runtime)
            self.logger.notice("listener settings changed; new connections use them", metadata: ["listener": "\(config.name)"])
        }
        for listener in removed {
            await self.drain(listener)
        }
    }

    /// A removed listener: stop accepting (closing only this process's descriptor), then
    /// idle keep-alive connections close and busy ones close after their response.
    private func drain(_ listener: BoundListener) async {
        let lineage = listener.generation.runtime.lineage
        // Set first, so a connection accepted just before the close quiesces on arrival.
        lineage.startDraining()
        try? await listener.channel.close()
        for worker in self.workers.values {
            worker.quiesceConnections(of: lineage)
        }
        self.logger.notice(
            "listener removed; draining its connections",
            metadata: ["listener": "\(listener.generation.config.name)", "address": "\(listener.address)"]
        )
    }
}
