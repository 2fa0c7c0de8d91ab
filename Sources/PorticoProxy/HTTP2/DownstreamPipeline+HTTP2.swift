import NIOCore
import NIOHTTP2
import PorticoCore

/// The pipeline of an HTTP/2 client connection (RFC 9113):
///
///     [TLS] → NIOHTTP2Handler (inline stream multiplexer)
///           → NIOHTTP2ServerConnectionManagementHandler (graceful GOAWAY)
///           → HTTP2ConnectionHandler (admission, registration, idle timeout)
///
/// and of each of its streams: `HTTP2StreamBridge` → `DownstreamHandler` (stream mode).
extension DownstreamPipeline {
    /// Configures an accepted connection for which HTTP/2 was negotiated (ALPN `h2`),
    /// on its event loop, after the TLS handler. Admission (access list, connection
    /// caps) runs here, once for the connection; a refused connection is closed.
    public static func configureHTTP2(
        _ channel: any Channel,
        worker: ProxyWorker,
        listener: ListenerRuntime,
        scheme: ForwardedHeaders.Proto
    ) throws {
        let address = channel.remoteAddress?.ipAddress
        let peer = HTTP2StreamPeer(clientAddress: address ?? "-", peerIP: address.flatMap { IPAddress($0) })
        let connection = HTTP2ConnectionHandler(worker: worker, listener: listener, scheme: scheme, peer: peer)
        guard connection.admit(channel: channel) else { return }
        try self.addHTTP2Handlers(to: channel, connection: connection, position: .last)
    }

    /// Adds the HTTP/2 handlers; `connection` carries the listener, scheme and client.
    static func addHTTP2Handlers(
        to channel: any Channel,
        connection: HTTP2ConnectionHandler,
        position: ChannelPipeline.SynchronousOperations.Position
    ) throws {
        let worker = connection.worker
        let listener = connection.listener
        let scheme = connection.scheme
        let peer = connection.peer
        let configuration = HTTP2ListenerSettings.configuration(listener.http2)
        // Only graceful shutdown is used: the idle timeout is `HTTP2ConnectionHandler`'s
        // (these timers start on channelActive, which an h2c or ALPN connection has
        // already passed), and the server's grace period bounds the drain.
        let management = NIOHTTP2ServerConnectionManagementHandler(
            eventLoop: channel.eventLoop,
            configuration: .init(maxIdleTime: nil, maxAge: nil, maxGraceTime: nil, keepalive: nil)
        )
        let events = HTTP2StreamEvents(
            management: management.http2StreamDelegate,
            connection: NIOLoopBound(connection, eventLoop: channel.eventLoop)
        )
        let http2 = NIOHTTP2Handler(
            mode: .server,
            eventLoop: channel.eventLoop,
            connectionConfiguration: configuration.connection,
            streamConfiguration: configuration.stream,
            streamDelegate: events
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                let sync = stream.pipeline.syncOperations
                try sync.addHandler(HTTP2StreamBridge())
                try sync.addHandler(DownstreamHandler(worker: worker, listener: listener, scheme: scheme, stream: peer))
            }
        }
        try channel.pipeline.syncOperations.addHandlers([http2, management, connection], position: position)
    }
}
