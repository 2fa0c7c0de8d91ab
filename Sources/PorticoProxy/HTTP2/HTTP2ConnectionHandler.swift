import NIOCore
import NIOHTTP2
import PorticoCore

/// The connection-level half of an HTTP/2 client connection, last in the connection's
/// pipeline (after `NIOHTTP2Handler` and `NIOHTTP2ServerConnectionManagementHandler`).
/// It does what the `DownstreamHandler` of an HTTP/1.1 connection does once per
/// connection: admission (`ConnectionAdmission`, or the slots an h2c connection was
/// admitted with), registration with the worker (quiesce, forced close, eviction,
/// the open-connection and in-flight gauges), the idle timeout. Requests are the
/// streams' business (one `DownstreamHandler` each).
///
/// Graceful shutdown (RFC 9113 §6.8): `quiesce()` sends `ChannelShouldQuiesceEvent`
/// through the pipeline; the management handler answers it with GOAWAY (last stream
/// id 2^31-1) and a PING, then, once the PING is acknowledged, a second GOAWAY naming
/// the last stream it accepted, and closes the connection when the open streams have
/// finished. The server's grace period bounds the wait (`forceClose`).
final class HTTP2ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame

    let worker: ProxyWorker
    let listener: ListenerRuntime
    let scheme: ForwardedHeaders.Proto
    let peer: HTTP2StreamPeer
    private var admission: ConnectionAdmission
    var isRegistered = false
    private var context: ChannelHandlerContext?
    private var openStreams = 0
    private(set) var idleSince: NIODeadline
    private var isQuiescing = false
    private var isClosed = false
    private var idleTimer: LazyDeadlineTimer?
    /// The idle timeout sent GOAWAY; the next expiry closes a client that never answered.
    private var idleGoAwaySent = false

    init(
        worker: ProxyWorker,
        listener: ListenerRuntime,
        scheme: ForwardedHeaders.Proto,
        peer: HTTP2StreamPeer,
        admission: ConnectionAdmission = ConnectionAdmission()
    ) {
        self.worker = worker
        self.listener = listener
        self.scheme = scheme
        self.peer = peer
        self.admission = admission
        self.idleSince = worker.eventLoop.now
    }

    /// Admission of a connection that arrives as HTTP/2 (ALPN `h2`): the same checks as
    /// an HTTP/1.1 connection, once. On refusal the connection is closed and false is
    /// returned. (The PROXY protocol header precedes TLS, so reading it is the TLS
    /// layer's job; `peer` then carries its source.)
    func admit(channel: any Channel) -> Bool {
        if let refusal = self.admission.admitOnAccept(listener: self.listener, peerIP: self.peer.peerIP, worker: self.worker) {
            self.listener.noteRefused(refusal, client: self.peer.clientAddress)
            self.isClosed = true
            channel.close(promise: nil)
            return false
        }
        return true
    }

    var settings: ProxySettings { self.worker.snapshot.settings }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // Strong capture, broken in handlerRemoved (see DownstreamHandler.handlerAdded).
        self.idleTimer = LazyDeadlineTimer(eventLoop: context.eventLoop) { [self] in
            self.idleTimerExpired()
        }
        if context.channel.isActive {
            self.becameActive()
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.becameActive()
        context.fireChannelActive()
    }

    private func becameActive() {
        guard !self.isClosed else { return }
        if !self.isRegistered {
            self.worker.register(self)
            self.isRegistered = true
        }
        self.idleTimer?.arm(self.settings.clientIdleTimeout)
        if self.worker.isQuiescing || self.listener.lineage.isDraining {
            self.quiesce()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.idleTimer?.cancel()
        self.idleTimer = nil
        self.admission.release(listener: self.listener)
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.isClosed = true
        self.idleTimer?.cancel()
        self.admission.release(listener: self.listener)
        if self.isRegistered {
            self.isRegistered = false
            self.worker.unregister(self)
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Root-stream frames (SETTINGS, PING, GOAWAY) are NIOHTTP2's business.
    }

    /// A stream opened (from `HTTP2StreamEvents`, on the event loop).
    func streamCreated() {
        self.openStreams += 1
        self.idleTimer?.disarm()
    }

    /// A stream closed: with none left the connection is idle.
    func streamClosed() {
        self.openStreams = max(0, self.openStreams - 1)
        guard self.openStreams == 0, !self.isClosed else { return }
        self.idleSince = self.worker.eventLoop.now
        // Quiescing: the management handler closes once the client has acknowledged
        // the GOAWAY; the linger bounds the wait for one that never does.
        self.idleTimer?.arm(self.isQuiescing ? DownstreamHandler.drainLinger : self.settings.clientIdleTimeout)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // NIOHTTP2 reports stream errors here as well as connection errors, and leaves
        // closing to its user: for a connection error (a flood limit, a broken frame)
        // it has already sent GOAWAY, which the flush below pushes out before the close.
        guard Self.closesConnection(error) else { return }
        self.listener.logger.debug(
            "HTTP/2 connection error",
            metadata: ["listener": "\(self.listener.name)", "client": "\(self.peer.clientAddress)", "error": "\(error)"]
        )
        context.flush()
        context.close(promise: nil)
    }

    /// Whether an error NIOHTTP2 reports ends the connection. Errors about one stream (a
    /// malformed request, a frame for a closed stream: RST_STREAM has been sent) and a
    /// frame refused on a connection that is already draining do not; everything else
    /// does (the `Excessive*` flood limits, broken frames, flow-control violations, I/O).
    static func closesConnection(_ error: any Error) -> Bool {
        switch error {
        case is NIOHTTP2Errors.IOOnClosedConnection, is NIOHTTP2Errors.StreamClosed, is NIOHTTP2Errors.NoSuchStream,
            is NIOHTTP2Errors.StreamError, is NIOHTTP2Errors.MissingPseudoHeader, is NIOHTTP2Errors.DuplicatePseudoHeader,
            is NIOHTTP2Errors.PseudoHeaderAfterRegularHeader, is NIOHTTP2Errors.UnknownPseudoHeader,
            is NIOHTTP2Errors.UnsupportedPseudoHeader, is NIOHTTP2Errors.InvalidPseudoHeaders,
            is NIOHTTP2Errors.MissingHostHeader, is NIOHTTP2Errors.DuplicateHostHeader, is NIOHTTP2Errors.EmptyPathHeader,
            is NIOHTTP2Errors.InvalidStatusValue, is NIOHTTP2Errors.TrailersWithoutEndStream,
            is NIOHTTP2Errors.InvalidHTTP2HeaderFieldName, is NIOHTTP2Errors.InvalidHTTP2HeaderFieldValue,
            is NIOHTTP2Errors.ForbiddenHeaderField, is NIOHTTP2Errors.InvalidPseudoHeaderValue,
            is NIOHTTP2Errors.ContentLengthViolated, is NIOHTTP2Errors.ContentLengthHeadersMismatch,
            is NIOHTTP2Errors.ContentLengthHeaderNegative, is NIOHTTP2Errors.ContentLengthHeaderMalformedValue:
            return false
        default:
            return true
        }
    }

    // MARK: Idle

    /// `timeouts.client_idle` with no open stream: GOAWAY, then close after a short
    /// linger if the client does not acknowledge it (the management handler closes as
    /// soon as it does).
    private func idleTimerExpired() {
        guard self.openStreams == 0, let context = self.context else { return }
        if self.idleGoAwaySent || self.isQuiescing {
            context.close(promise: nil)
            return
        }
        self.idleGoAwaySent = true
        self.sendQuiesceEvent()
        self.idleTimer?.arm(DownstreamHandler.drainLinger)
    }

    private func sendQuiesceEvent() {
        self.context?.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }
}

extension HTTP2ConnectionHandler: ClientConnection {
    var requestsInFlight: Int { self.openStreams }

    var isIdleForEviction: Bool {
        !self.isClosed && self.openStreams == 0 && self.admission.holdsGlobalSlot && self.context != nil
    }

    func evictForCapacity() {
        self.admission.holdsGlobalSlot = false
        self.listener.noteEvicted()
        self.isClosed = true
        self.idleTimer?.cancel()
        self.context?.close(promise: nil)
    }

    func quiesce() {
        guard !self.isQuiescing, !self.isClosed else { return }
        self.isQuiescing = true
        self.sendQuiesceEvent()
        if self.openStreams == 0 {
            // A client that does not acknowledge the GOAWAY's PING is closed after the
            // linger, like an idle HTTP/1.1 keep-alive connection.
            self.idleTimer?.arm(min(self.settings.clientIdleTimeout, DownstreamHandler.drainLinger))
        }
    }

    func forceClose() {
        self.context?.close(promise: nil)
    }
}

/// Stream lifecycle events from the inline multiplexer (which, unlike the legacy one,
/// does not send them down the connection pipeline), for both the management handler
/// (which closes a draining connection when its last stream ends) and the connection
/// handler (idle timeout, in-flight gauge).
struct HTTP2StreamEvents: NIOHTTP2StreamDelegate {
    let management: NIOHTTP2ServerConnectionManagementHandler.HTTP2StreamDelegate
    let connection: NIOLoopBound<HTTP2ConnectionHandler>

    func streamCreated(_ id: HTTP2StreamID, channel: any Channel) {
        self.management.streamCreated(id, channel: channel)
        self.connection.value.streamCreated()
    }

    func streamClosed(_ id: HTTP2StreamID, channel: any Channel) {
        self.management.streamClosed(id, channel: channel)
        self.connection.value.streamClosed()
    }
}
