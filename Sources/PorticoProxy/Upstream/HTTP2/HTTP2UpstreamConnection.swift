import NIOCore
import NIOHTTP2

/// One HTTP/2 connection to an upstream server, owned by a worker's
/// `HTTP2UpstreamPool` and confined to its event loop.
///
/// It counts its open streams against the server's SETTINGS_MAX_CONCURRENT_STREAMS
/// (RFC 9113 §6.5.2; until the server's SETTINGS arrive, 100 is assumed, the minimum
/// §6.5.2 recommends), and stops taking new streams after a GOAWAY (§6.8): streams
/// already open finish, new ones go to another connection.
final class HTTP2UpstreamConnection {
    enum State {
        /// TCP (and TLS) under way; requests wait in `waiters`.
        case connecting
        case ready(channel: any Channel, multiplexer: NIOHTTP2Handler.StreamMultiplexer)
        /// GOAWAY received or sent, or the connection closed: no new streams.
        case closed
    }

    let server: UpstreamServer
    var state: State = .connecting
    var openStreams = 0
    var maxConcurrentStreams = 100
    var goingAway = false
    /// Requests waiting for the connection to become ready (counted as open streams).
    var waiters: [(Result<NIOHTTP2Handler.StreamMultiplexer, any Error>) -> Void] = []
    /// When the last stream ended (for closing connections left idle).
    var idleSince: NIODeadline = .now()

    init(server: UpstreamServer) {
        self.server = server
    }

    /// Whether a new stream may go on this connection now or once it is ready.
    var hasCapacity: Bool {
        switch self.state {
        case .closed: return false
        case .connecting, .ready: return !self.goingAway && self.openStreams < self.maxConcurrentStreams
        }
    }

    var channel: (any Channel)? {
        if case .ready(let channel, _) = self.state { return channel }
        return nil
    }
}

/// Watches the connection-level frames of an upstream HTTP/2 connection (they reach
/// the pipeline after `NIOHTTP2Handler`): SETTINGS for the stream limit, GOAWAY.
final class HTTP2ConnectionWatcher: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame

    private let connection: HTTP2UpstreamConnection
    private let pool: HTTP2UpstreamPool

    init(connection: HTTP2UpstreamConnection, pool: HTTP2UpstreamPool) {
        self.connection = connection
        self.pool = pool
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        switch frame.payload {
        case .settings(.settings(let settings)):
            for setting in settings where setting.parameter == .maxConcurrentStreams {
                self.connection.maxConcurrentStreams = setting.value
            }
        case .goAway:
            self.pool.connectionGoingAway(self.connection)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.pool.connectionClosed(self.connection)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Connection-level protocol errors: NIOHTTP2 has sent GOAWAY; close.
        context.close(promise: nil)
    }
}
