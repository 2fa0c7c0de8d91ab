import NIOCore
import NIOPosix
import PorticoCore

/// Keep-alive connections to upstream servers, owned by one event loop.
///
/// There is one pool per worker thread (as nginx has one per worker process), so a
/// request's upstream connection always lives on the same event loop as its client
/// connection: no locks, no thread hops, and bytes move between the two sockets in
/// the same loop iteration. Idle connections are kept LIFO (the most recently used
/// is the least likely to have been closed by the server) and bounded per server.
final class ConnectionPool {
    let eventLoop: any EventLoop
    private var idle: [HostPort: [UpstreamHandler]] = [:]
    private var sweepScheduled = false
    private var isShutDown = false
    /// HTTP/2 connections of `protocol: h2` groups, multiplexed per server.
    private(set) lazy var http2 = HTTP2UpstreamPool(eventLoop: self.eventLoop, pool: self)

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// The idle connection used most recently for `server`, if any is still open.
    func takeIdle(for server: HostPort) -> UpstreamHandler? {
        // Mutate the stored array in place (no copy-on-write per request).
        while let candidate = self.idle[server]?.popLast() {
            if !candidate.isClosed {
                return candidate
            }
        }
        return nil
    }

    /// Opens a new connection to `server` on this pool's event loop; `completion` runs on that loop.
    /// For a TLS server the connection is handed over only once the handshake succeeded
    /// (`UpstreamTLSHandshakeHandler`); for an HTTP/2 group it is a new stream on a
    /// shared connection (`HTTP2UpstreamPool`).
    func connect(
        to server: UpstreamServer,
        connectTimeout: TimeAmount,
        completion: @escaping (Result<UpstreamHandler, any Error>) -> Void
    ) {
        if server.transport.upstreamProtocol == .h2 {
            self.http2.openStream(to: server, connectTimeout: connectTimeout, completion: completion)
            return
        }
        let handler = UpstreamHandler(server: server.address, pool: self)
        // The initializer runs on this same loop, so the handler never crosses threads.
        let boundHandler = NIOLoopBound(handler, eventLoop: self.eventLoop)
        let handshake: EventLoopPromise<String?>? = server.usesTLS ? self.eventLoop.makePromise() : nil
        let bootstrap = ClientBootstrap(group: self.eventLoop)
            .connectTimeout(connectTimeout)  // TCP_NODELAY is on by default in ClientBootstrap
            .channelOption(
                .recvAllocator,
                value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 16 * 1024, maximum: 256 * 1024)
            )
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let handshake {
                        try Self.addTLSHandlers(sync, server: server, handshake: handshake, timeout: connectTimeout)
                    }
                    try Self.configureUpstreamPipeline(sync, handler: boundHandler.value)
                }
            }
        let connected = bootstrap.connect(to: server.socketAddress)
        guard let handshake else {
            connected.assumeIsolatedUnsafeUnchecked().whenComplete { result in
                completion(result.map { _ in handler })
            }
            return
        }
        connected.assumeIsolatedUnsafeUnchecked().whenComplete { result in
            switch result {
            case .failure(let error):
                handshake.fail(error)
                completion(.failure(error))
            case .success(let channel):
                handshake.futureResult.assumeIsolatedUnsafeUnchecked().whenComplete { outcome in
                    switch outcome {
                    case .success:
                        completion(.success(handler))
                    case .failure(let error):
                        channel.close(promise: nil)
                        let failure = Self.logTLSFailure(error, server: server)
                        completion(.failure(failure))
                    }
                }
            }
        }
    }

    /// The upstream pipeline is a single handler: Portico's own HTTP/1.1 response
    /// parser and raw-byte relay (no generic codec, no header objects).
    static func configureUpstreamPipeline(
        _ pipeline: ChannelPipeline.SynchronousOperations,
        handler: UpstreamHandler
    ) throws {
        try pipeline.addHandler(handler)
    }

    /// Returns a connection after a completed exchange. Closes it instead when the
    /// pool for that server is full or the pool is shutting down.
    func release(_ connection: UpstreamHandler, keepalive: KeepaliveConfig) {
        connection.detach()
        guard !connection.isStream, !self.isShutDown, !connection.isClosed, keepalive.maxIdlePerWorker > 0 else {
            connection.close()
            return
        }
        guard (self.idle[connection.server]?.count ?? 0) < keepalive.maxIdlePerWorker else {
            connection.close()
            return
        }
        connection.idleSince = .now()
        connection.poolIdleTimeout = TimeAmount(keepalive.idleTimeout)
        self.idle[connection.server, default: []].append(connection)
        self.startSweepingIfNeeded()
    }

    /// Called by a connection when its channel closes, idle or not.
    func connectionClosed(_ connection: UpstreamHandler) {
        guard let index = self.idle[connection.server]?.firstIndex(where: { $0 === connection }) else { return }
        self.idle[connection.server]?.remove(at: index)
    }

    var idleConnectionCount: Int {
        self.idle.values.reduce(0) { $0 + $1.count }
    }

    /// Closes every idle connection and stops pooling (graceful shutdown).
    func shutdown() {
        self.isShutDown = true
        self.http2.shutdown()
        let all = self.idle.values.flatMap { $0 }
        self.idle.removeAll()
        for connection in all {
            connection.close()
        }
    }

    /// One repeating sweep per pool closes connections idle longer than their group's
    /// `keepalive.idle_timeout`; cheaper than a timer per pooled connection.
    private func startSweepingIfNeeded() {
        guard !self.sweepScheduled, !self.isShutDown else { return }
        self.sweepScheduled = true
        self.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: .seconds(1)) { [self] in
            self.sweepScheduled = false
            self.sweep()
            if self.idleConnectionCount > 0 {
                self.startSweepingIfNeeded()
            }
        }
    }

    private func sweep() {
        let now = NIODeadline.now()
        for (server, stack) in self.idle {
            let kept = stack.filter { connection in
                if connection.isClosed { return false }
                if connection.idleSince + connection.poolIdleTimeout <= now {
                    connection.close()
                    return false
                }
                return true
            }
            if kept.count != stack.count {
                self.idle[server] = kept
            }
        }
    }
}
