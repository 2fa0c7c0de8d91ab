import NIOCore
import NIOHTTP1
import PorticoCore

/// Serves one client connection: parses requests with Portico's own strict HTTP/1.1
/// parser, routes them, forwards them as bytes to an upstream connection on the same
/// event loop (or answers locally), and streams the responses back in order.
///
/// It is the only handler of the connection: bytes in, bytes out. Request heads are
/// parsed into offsets over the received bytes; the upstream head is written from
/// those bytes plus edits; bodies pass as buffer slices (chunked framing validated on
/// the way). Requests on a connection are handled one at a time; bytes of a pipelined
/// next request wait in `inbound` (RFC 9112 §9.3.2: responses in request order), and
/// reading pauses only while such bytes wait. Backpressure runs both ways.
///
/// This file holds connection-level events; request handling, the upstream relay and
/// response writing live in the `DownstreamHandler+*.swift` extensions.
final class DownstreamHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let worker: ProxyWorker
    /// The scheme clients use on this listener, for `X-Forwarded-Proto`.
    let scheme: ForwardedHeaders.Proto
    /// The listener's connection-level controls (PROXY protocol, access list, caps).
    let listener: ListenerRuntime
    var context: ChannelHandlerContext?
    var clientAddress = "-"
    /// The TCP peer (or the PROXY protocol source), parsed once per connection.
    var peerIP: IPAddress?
    var timer: LazyDeadlineTimer?
    var timerPurpose: ClientTimerPurpose = .none

    /// The request being answered, if any.
    var exchange: Exchange?
    /// The previous, finished exchange, reused for the next request when unreferenced.
    var spareExchange: Exchange?
    /// Received bytes not handled yet: a partial head, body bytes waiting for an
    /// upstream connection, or a pipelined next request.
    var inbound = ByteBuffer()
    var headParser: HTTP1RequestHeadParser
    /// A `read()` was held back because reads are paused.
    var heldRead = false
    var inReadCycle = false
    var upstreamNeedsFlush = false
    var isQuiescing = false
    /// At least one request has begun on this connection (`quiesce` closes idle
    /// keep-alive connections, not fresh ones).
    var hasHadRequest = false
    var isClosing = false
    /// `processInbound` is running (it can be re-entered through an upstream attach).
    var isProcessingInbound = false

    // Connection-level edge security (DownstreamHandler+Connection.swift).
    /// The PROXY protocol header has not been read yet (HTTP parsing waits).
    var awaitingProxyHeader = false
    /// In the worker's registry (admitted connections only).
    var isRegistered = false
    /// Slots taken on accept, each released exactly once (`releaseConnectionSlots`).
    var admission = ConnectionAdmission()
    /// When the connection last became idle (accepted, or its last response ended);
    /// kept only under `security.max_connections`, to pick the oldest idle one to close.
    var idleSince = NIODeadline.uptimeNanoseconds(0)
    /// `timeouts.client_send`: created on the first time the client stops reading.
    var sendTimer: LazyDeadlineTimer?
    /// `timeouts.client_min_body_rate`: created for the first request body, if enabled.
    var rateTimer: LazyDeadlineTimer?
    var bodyRate: DataRateTracker?
    /// Set once the connection switched protocols (101): bytes pass raw both ways
    /// (DownstreamHandler+Tunnel.swift).
    var tunnel: TunnelRelay?
    /// The verified TLS client certificate's subject (`client_auth.subject_header` only).
    var tlsClientSubject: String?
    /// Set when this handler serves one HTTP/2 stream (HTTP2/HTTP2StreamBridge.swift):
    /// one exchange, then the stream closes; no admission or registration of its own
    /// (the HTTP/2 connection did both once).
    let stream: HTTP2StreamPeer?

    /// Pipelined bytes beyond this are not read until the current response is done.
    static let maxBufferedPipelineBytes = 64 * 1024

    enum ClientTimerPurpose {
        case none
        /// Waiting for the (rest of the) first request head, or a keep-alive gap.
        case awaitingHead
        /// Waiting for request body bytes.
        case body
    }

    init(
        worker: ProxyWorker,
        listener: ListenerRuntime = .unrestricted,
        scheme: ForwardedHeaders.Proto = .http,
        stream: HTTP2StreamPeer? = nil
    ) {
        self.worker = worker
        self.listener = listener
        self.scheme = scheme
        self.stream = stream
        self.headParser = HTTP1RequestHeadParser(limits: worker.snapshot.settings.limits)
    }

    var settings: ProxySettings { self.worker.snapshot.settings }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // A strong capture, not `[weak self]`: a weak reference gives the object a side
        // table, and every retain/release of it then takes the runtime's slow path
        // (measured: ~5% of small-request CPU). The cycle handler → timer → closure →
        // handler is broken in `handlerRemoved`, which NIO always calls.
        self.timer = LazyDeadlineTimer(eventLoop: context.eventLoop) { [self] in
            self.clientTimerExpired()
        }
        if context.channel.isActive {
            self.connectionBecameActive(context: context)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.connectionBecameActive(context: context)
        context.fireChannelActive()
    }

    private func connectionBecameActive(context: ChannelHandlerContext) {
        guard self.timerPurpose == .none, self.exchange == nil, !self.isClosing else { return }
        if let stream = self.stream {
            self.streamBecameActive(stream)
            return
        }
        if let address = context.channel.remoteAddress {
            self.clientAddress = address.ipAddress ?? "-"
            self.peerIP = address.ipAddress.flatMap { IPAddress($0) }
        }
        if self.listener.hasAcceptChecks || self.listener.proxyProtocol {
            // Refused connections are closed here, before any byte is read.
            guard self.admitOnAccept() else { return }
        }
        self.worker.register(self)
        self.isRegistered = true
        if self.listener.tlsPolicy.clientSubjectHeader != nil {
            self.tlsClientSubject = Self.peerCertificateSubject(of: context.channel)
        }
        if self.worker.isQuiescing || self.listener.lineage.isDraining {
            self.isQuiescing = true
        }
        self.timerPurpose = .awaitingHead
        self.timer?.arm(self.settings.clientHeaderTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        self.cancelSecondaryTimers()
        self.releaseConnectionSlots()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.isClosing = true
        if self.tunnel != nil {
            self.clientClosedTunnel()
        }
        self.timer?.cancel()
        self.cancelSecondaryTimers()
        self.releaseConnectionSlots()
        if self.isRegistered {
            self.isRegistered = false
            self.worker.unregister(self)
        }
        if let exchange = self.exchange {
            self.exchange = nil
            self.endAttempt(exchange)
            self.leaveQueue(exchange)
            self.releaseGuards(exchange)
            self.releaseCacheState(exchange)
            if let upstream = exchange.upstream {
                exchange.upstream = nil
                upstream.detach()
                upstream.close()
            }
            if !exchange.responseComplete {
                // nginx's convention: 499 = the client closed before the response was sent.
                if !exchange.responseStarted { exchange.status = 499 }
                self.logAccess(exchange)
            }
        }
        self.inbound = ByteBuffer()
        context.fireChannelInactive()
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.inReadCycle = true
        var bytes = self.unwrapInboundIn(data)
        if self.tunnel != nil {
            self.tunnelClientBytes(bytes)
            return
        }
        if self.awaitingProxyHeader {
            self.receiveProxyHeader(&bytes)
            return
        }
        if self.bodyRate != nil {
            self.recordBodyBytes(bytes.readableBytes)
        }
        if self.exchange == nil && self.inbound.readableBytes == 0 && self.timerPurpose == .awaitingHead {
            // The first bytes of a new request: the slow-client (header) timeout starts.
            self.timer?.arm(self.settings.clientHeaderTimeout)
        }
        if self.inbound.readableBytes == 0 {
            self.inbound = bytes
        } else {
            self.inbound.writeBuffer(&bytes)
        }
        self.processInbound()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.inReadCycle = false
        self.flushUpstreamIfNeeded()
        context.flush()
        context.fireChannelReadComplete()
    }

    /// Handles buffered bytes for as long as they can be handled now: a new head when
    /// idle, body bytes when they have somewhere to go.
    func processInbound() {
        self.processBufferedInbound()
        if !self.isProcessingInbound {
            // After the loop, not inside it: on an HTTP/2 stream `read()` delivers the
            // frames it held back at once, re-entering `channelRead` (a socket never does).
            self.resumeReadingIfPossible()
        }
    }

    private func processBufferedInbound() {
        // An attach or a finished exchange inside the loop may call back in here; the
        // running loop re-reads all state on each turn, so the nested call can return.
        guard !self.isProcessingInbound else { return }
        self.isProcessingInbound = true
        defer { self.isProcessingInbound = false }
        while !self.isClosing {
            guard let exchange = self.exchange else {
                guard self.inbound.readableBytes > 0 else { break }
                if !self.hasHadRequest && self.listener.http2.cleartext && self.stream == nil && self.scheme == .http {
                    // h2c with prior knowledge (RFC 9113 §3.3): HTTP2/DownstreamHandler+H2C.swift.
                    guard self.detectHTTP2Preface() else { break }
                }
                switch self.headParser.parse(&self.inbound) {
                case .incomplete:
                    break
                case .invalid(let error):
                    // Smuggling defence: a request we cannot frame exactly as the client
                    // did is never forwarded, and the connection is not reused (RFC 9112 §11.2).
                    self.rejectMalformed(status: HTTPResponseStatus(statusCode: error.status))
                    return
                case .complete(let head):
                    self.headParser = HTTP1RequestHeadParser(limits: self.settings.limits)
                    self.startExchange(head)
                    if self.settings.clientMinBodyRate > 0 {
                        self.startBodyRateIfBodyExpected()
                    }
                    continue
                }
                break
            }
            if exchange.requestComplete || exchange.bodyTarget == .queue {
                break
            }
            guard self.inbound.readableBytes > 0 else { break }
            self.consumeRequestBody(exchange)
        }
        if self.inbound.readableBytes == 0 && self.inbound.capacity > 0 {
            // Do not keep the last receive buffer alive while the connection idles:
            // that is most of an idle keep-alive connection's memory otherwise.
            self.inbound = Self.emptyBuffer
        }
        if self.bodyRate != nil {
            self.stopBodyRateIfBodyDone()
        }
        self.flushUpstreamIfNeeded()
    }

    /// A shared zero-capacity buffer (no storage of its own per connection).
    static let emptyBuffer = ByteBuffer()

    func flushUpstreamIfNeeded() {
        if self.upstreamNeedsFlush {
            self.upstreamNeedsFlush = false
            self.exchange?.upstream?.flush()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // I/O errors (reset by peer etc.); cleanup happens in channelInactive.
        context.close(promise: nil)
    }

    // MARK: Outbound (read pacing)

    func read(context: ChannelHandlerContext) {
        if self.isClosing && !self.isRegistered {
            return  // refused on accept: nothing is read
        }
        if self.readsPaused {
            if !self.heldRead, self.bodyRate != nil {
                // Portico's own backpressure does not count against the client's rate.
                self.pauseBodyRate()
            }
            self.heldRead = true
            return
        }
        context.read()
    }

    var readsPaused: Bool {
        guard let exchange = self.exchange else { return false }
        if self.tunnel != nil {
            return !(exchange.upstream?.isWritable ?? true)
        }
        if exchange.requestComplete {
            // Only bytes of a pipelined next request can arrive; buffer a little, then wait.
            return self.inbound.readableBytes >= Self.maxBufferedPipelineBytes
        }
        switch exchange.bodyTarget {
        case .queue:
            return true
        case .upstream:
            return !(exchange.upstream?.isWritable ?? true)
        case .discard:
            return false
        }
    }

    func resumeReadingIfPossible() {
        guard self.heldRead, !self.readsPaused, let context = self.context else { return }
        self.heldRead = false
        if self.bodyRate != nil {
            self.resumeBodyRate()
        }
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.sendTimer?.disarm()
            self.exchange?.upstream?.resumeReading()
        } else {
            self.clientStoppedReading()
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Timers

    func armIdleTimer() {
        self.timerPurpose = .awaitingHead
        if self.listener.global != nil {
            self.idleSince = self.worker.eventLoop.now
        }
        if self.inbound.readableBytes > 0 {
            self.timer?.arm(self.settings.clientHeaderTimeout)
        } else {
            self.timer?.arm(self.settings.clientIdleTimeout)
        }
    }

    private func clientTimerExpired() {
        let purpose = self.timerPurpose
        self.timerPurpose = .none
        switch purpose {
        case .none:
            return
        case .awaitingHead:
            if self.awaitingProxyHeader {
                // No HTTP answer to a peer that has not even finished its PROXY header.
                self.context?.close(promise: nil)
            } else if self.exchange == nil && self.inbound.readableBytes > 0 {
                // RFC 9110 §15.5.9: the client did not finish its request in time.
                self.rejectMalformed(status: .requestTimeout)
            } else {
                self.context?.close(promise: nil)
            }
        case .body:
            self.requestBodyTimedOut()
        }
    }

    /// The request body stopped arriving (`client_body`) or arrives too slowly
    /// (`client_min_body_rate`): 408 if no response started, otherwise close.
    func requestBodyTimedOut() {
        self.timerPurpose = .none
        self.stopBodyRate()
        if let exchange = self.exchange, !exchange.responseStarted {
            self.endAttempt(exchange)
            self.leaveQueue(exchange)
            if let upstream = exchange.upstream {
                exchange.upstream = nil
                upstream.detach()
                upstream.close()
            }
            exchange.closeAfterResponse = true
            self.respondLocally(exchange, error: .requestTimeout)
        } else {
            self.context?.close(promise: nil)
        }
    }

    // MARK: Shutdown

    /// How long an idle keep-alive connection stays open once draining starts.
    ///
    /// Closing an idle keep-alive connection races with the client's next request: a
    /// request sent just before our FIN arrives fails, and only clients that retry
    /// idempotent requests (RFC 9112 §9.3.1) recover. A busy client (a load balancer in
    /// front of us, a browser mid-page, a benchmark) sends its next request within
    /// moments, so a short linger lets it be served, with `Connection: close`, instead
    /// of lost. Measured: a takeover under keep-alive load went from 2 failed requests
    /// in 117,158 to none (docs/reload-and-upgrade.md).
    static let drainLinger: TimeAmount = .seconds(1)

    /// Graceful shutdown: the current response, or the next request if one arrives
    /// within `drainLinger` of an idle connection, is the last (`Connection: close`);
    /// an idle connection closes when the linger ends. A connection that has not sent
    /// its first request yet was only just accepted and its request is on its way
    /// (closing it would fail that request, e.g. one accepted in the last moment before
    /// a takeover): it is answered with `Connection: close`, or closed by the header
    /// timeout or the end of the grace period.
    func quiesce() {
        self.isQuiescing = true
        if let exchange = self.exchange {
            exchange.closeAfterResponse = true
        } else if self.inbound.readableBytes == 0 && self.hasHadRequest {
            self.timerPurpose = .awaitingHead
            self.timer?.arm(min(self.settings.clientIdleTimeout, Self.drainLinger))
        }
    }

    func forceClose() {
        self.context?.close(promise: nil)
    }
}
