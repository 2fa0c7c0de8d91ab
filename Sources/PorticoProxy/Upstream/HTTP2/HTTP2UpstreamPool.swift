import NIOCore
import NIOHTTP2
import NIOPosix
import PorticoCore

/// A worker's HTTP/2 connections to the servers of `protocol: h2` groups: a few
/// connections per server, each carrying many concurrent streams (RFC 9113 §5).
///
/// Each request attempt gets a new stream whose pipeline is an `UpstreamHTTP2StreamBridge` and
/// an ordinary `UpstreamHandler`, so the `DownstreamHandler` drives it exactly like a
/// pooled HTTP/1.1 connection. A stream is never reused: when the exchange releases it,
/// it is closed (which ends or resets the stream). A new connection is opened when
/// every existing one is at the server's SETTINGS_MAX_CONCURRENT_STREAMS or going away.
/// Like `ConnectionPool`, it lives on one event loop: no locks.
final class HTTP2UpstreamPool {
    let eventLoop: any EventLoop
    /// The owning pool (it holds this object), for the handlers' bookkeeping.
    private unowned let pool: ConnectionPool
    private var connections: [HostPort: [HTTP2UpstreamConnection]] = [:]
    private var isShutDown = false

    init(eventLoop: any EventLoop, pool: ConnectionPool) {
        self.eventLoop = eventLoop
        self.pool = pool
    }

    /// Opens a stream to `server` on a connection with room, connecting first when none has.
    func openStream(
        to server: UpstreamServer,
        connectTimeout: TimeAmount,
        completion: @escaping (Result<UpstreamHandler, any Error>) -> Void
    ) {
        guard !self.isShutDown else {
            completion(.failure(HTTP2UpstreamError(reason: "shutting down")))
            return
        }
        let connection =
            self.connections[server.address]?.first(where: \.hasCapacity)
            ?? self.connect(to: server, timeout: connectTimeout)
        connection.openStreams += 1  // reserved now, so concurrent requests spread correctly
        switch connection.state {
        case .ready(_, let multiplexer):
            self.createStream(on: connection, multiplexer: multiplexer, completion: completion)
        case .connecting:
            connection.waiters.append { [self] result in
                switch result {
                case .success(let multiplexer):
                    self.createStream(on: connection, multiplexer: multiplexer, completion: completion)
                case .failure(let error):
                    connection.openStreams -= 1
                    completion(.failure(error))
                }
            }
        case .closed:
            connection.openStreams -= 1
            completion(.failure(HTTP2UpstreamError(reason: "connection closed")))
        }
    }

    var connectionCount: Int {
        self.connections.values.reduce(0) { $0 + $1.count }
    }

    private func createStream(
        on connection: HTTP2UpstreamConnection,
        multiplexer: NIOHTTP2Handler.StreamMultiplexer,
        completion: @escaping (Result<UpstreamHandler, any Error>) -> Void
    ) {
        let server = connection.server
        let handler = UpstreamHandler(server: server.address, pool: self.pool, isStream: true)
        let boundHandler = NIOLoopBound(handler, eventLoop: self.eventLoop)
        let scheme = server.usesTLS ? "https" : "http"
        let promise = self.eventLoop.makePromise(of: (any Channel).self)
        multiplexer.createStreamChannel(promise: promise) { channel in
            channel.eventLoop.makeCompletedFuture {
                let sync = channel.pipeline.syncOperations
                try sync.addHandler(UpstreamHTTP2StreamBridge(scheme: scheme))
                try sync.addHandler(boundHandler.value)
            }
        }
        promise.futureResult.assumeIsolatedUnsafeUnchecked().whenComplete { [self] result in
            switch result {
            case .success(let channel):
                channel.closeFuture.assumeIsolatedUnsafeUnchecked().whenComplete { [self] _ in
                    self.streamEnded(on: connection)
                }
                completion(.success(handler))
            case .failure(let error):
                self.streamEnded(on: connection)
                completion(.failure(HTTP2UpstreamError(reason: "cannot open an HTTP/2 stream: \(error)")))
            }
        }
    }

    private func streamEnded(on connection: HTTP2UpstreamConnection) {
        connection.openStreams -= 1
        guard connection.openStreams == 0 else { return }
        if connection.goingAway {
            connection.channel?.close(promise: nil)
            return
        }
        // Close a connection left without streams for the group's keepalive.idle_timeout.
        let idleSince = NIODeadline.now()
        connection.idleSince = idleSince
        self.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: connection.server.transport.idleTimeout) {
            if connection.openStreams == 0, connection.idleSince == idleSince {
                connection.goingAway = true
                connection.channel?.close(promise: nil)
            }
        }
    }

    // MARK: Connections

    private func connect(to server: UpstreamServer, timeout: TimeAmount) -> HTTP2UpstreamConnection {
        let connection = HTTP2UpstreamConnection(server: server)
        self.connections[server.address, default: []].append(connection)
        let handshake: EventLoopPromise<String?>? = server.usesTLS ? self.eventLoop.makePromise() : nil
        let bound = NIOLoopBound((self, connection), eventLoop: self.eventLoop)
        let multiplexerBox = NIOLoopBoundBox<NIOHTTP2Handler.StreamMultiplexer?>(nil, eventLoop: self.eventLoop)
        ClientBootstrap(group: self.eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let handshake {
                        try ConnectionPool.addTLSHandlers(sync, server: server, handshake: handshake, timeout: timeout)
                    }
                    multiplexerBox.value = try sync.configureHTTP2Pipeline(
                        mode: .client,
                        connectionConfiguration: .init(),
                        streamConfiguration: .init(),
                        inboundStreamInitializer: { channel in channel.close() }  // no server push
                    )
                    let (pool, connection) = bound.value
                    try sync.addHandler(HTTP2ConnectionWatcher(connection: connection, pool: pool))
                }
            }
            .connect(to: server.socketAddress)
            .assumeIsolatedUnsafeUnchecked()
            .whenComplete { [self] result in
                switch result {
                case .failure(let error):
                    handshake?.fail(error)
                    self.connectFailed(connection, error: error)
                case .success(let channel):
                    guard let handshake else {
                        self.connected(connection, channel: channel, multiplexer: multiplexerBox.value)
                        return
                    }
                    handshake.futureResult.assumeIsolatedUnsafeUnchecked().whenComplete { [self] outcome in
                        switch outcome {
                        case .success(let negotiated) where negotiated == "h2":
                            self.connected(connection, channel: channel, multiplexer: multiplexerBox.value)
                        case .success(let negotiated):
                            channel.close(promise: nil)
                            let reason = "the server did not agree to HTTP/2 (ALPN: \(negotiated ?? "none"))"
                            server.transport.logger.error(
                                "upstream HTTP/2 connection refused", metadata: ["server": "\(server.identity)", "reason": "\(reason)"]
                            )
                            self.connectFailed(connection, error: HTTP2UpstreamError(reason: reason))
                        case .failure(let error):
                            channel.close(promise: nil)
                            self.connectFailed(connection, error: ConnectionPool.logTLSFailure(error, server: server))
                        }
                    }
                }
            }
        return connection
    }

    private func connected(
        _ connection: HTTP2UpstreamConnection,
        channel: any Channel,
        multiplexer: NIOHTTP2Handler.StreamMultiplexer?
    ) {
        guard case .connecting = connection.state, let multiplexer, !self.isShutDown else {
            channel.close(promise: nil)
            self.connectFailed(connection, error: HTTP2UpstreamError(reason: "connection closed"))
            return
        }
        connection.state = .ready(channel: channel, multiplexer: multiplexer)
        let waiters = connection.waiters
        connection.waiters = []
        for waiter in waiters {
            waiter(.success(multiplexer))
        }
    }

    private func connectFailed(_ connection: HTTP2UpstreamConnection, error: any Error) {
        self.remove(connection)
        connection.state = .closed
        let waiters = connection.waiters
        connection.waiters = []
        for waiter in waiters {
            waiter(.failure(error))
        }
    }

    /// GOAWAY (RFC 9113 §6.8): no new streams here; open ones finish, then it closes.
    func connectionGoingAway(_ connection: HTTP2UpstreamConnection) {
        connection.goingAway = true
        self.remove(connection)
        if connection.openStreams == 0 {
            connection.channel?.close(promise: nil)
        }
    }

    func connectionClosed(_ connection: HTTP2UpstreamConnection) {
        if case .connecting = connection.state {
            self.connectFailed(connection, error: HTTP2UpstreamError(reason: "connection closed"))
            return
        }
        connection.state = .closed
        self.remove(connection)
    }

    private func remove(_ connection: HTTP2UpstreamConnection) {
        let key = connection.server.address
        guard let index = self.connections[key]?.firstIndex(where: { $0 === connection }) else { return }
        self.connections[key]?.remove(at: index)
        if self.connections[key]?.isEmpty == true {
            self.connections[key] = nil
        }
    }

    /// Closes every connection (graceful shutdown: called once no request is left).
    func shutdown() {
        self.isShutDown = true
        let all = self.connections.values.flatMap { $0 }
        self.connections.removeAll()
        for connection in all {
            connection.goingAway = true
            connection.channel?.close(promise: nil)
        }
    }
}

/// Why a stream to an HTTP/2 upstream could not be opened (a connect failure).
struct HTTP2UpstreamError: Error, CustomStringConvertible {
    var reason: String
    var description: String { self.reason }
}
