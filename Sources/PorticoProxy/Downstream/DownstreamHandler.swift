import NIOCore
import NIOHTTP1
import PorticoCore

/// Serves one client connection: reads requests, routes them, forwards them to an
/// upstream connection on the same event loop (or answers locally), and streams the
/// responses back in order.
///
/// Requests on a connection are handled one at a time. Reading continues while a
/// response is in flight (so a keep-alive connection costs no extra `epoll_ctl`
/// calls per request); only when a pipelined request actually arrives early is it
/// queued and reading paused until the current response ends (RFC 9112 §9.3.2:
/// responses in request order). Backpressure runs both ways: a slow upstream stops
/// client reads, a slow client stops upstream reads.
///
/// This file holds connection-level events; request handling, the upstream relay and
/// response writing live in the `DownstreamHandler+*.swift` extensions.
final class DownstreamHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    let worker: ProxyWorker
    /// The scheme clients use on this listener, for `X-Forwarded-Proto`.
    let scheme: ForwardedHeaders.Proto
    var context: ChannelHandlerContext?
    var clientAddress = "-"
    var timer: LazyDeadlineTimer?
    var timerPurpose: ClientTimerPurpose = .none

    /// The request being answered, if any.
    var exchange: Exchange?
    /// Parts that arrived before they could be handled (pipelined requests, or body
    /// parts while an upstream connection is being established).
    var pending = CircularBuffer<HTTPServerRequestPart>(initialCapacity: 4)
    /// A `read()` was held back because reads are paused.
    var heldRead = false
    var inReadCycle = false
    var upstreamNeedsFlush = false
    /// Bytes of a new request head have arrived (drives the 408 header timeout).
    var headStarted = false
    var isQuiescing = false
    var isClosing = false
    var requestCount = 0

    enum ClientTimerPurpose {
        case none
        /// Waiting for the (rest of the) first request head, or a keep-alive gap.
        case awaitingHead
        /// Waiting for request body bytes.
        case body
    }

    init(worker: ProxyWorker, scheme: ForwardedHeaders.Proto = .http) {
        self.worker = worker
        self.scheme = scheme
    }

    var settings: ProxySettings { self.worker.snapshot.settings }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.timer = LazyDeadlineTimer(eventLoop: context.eventLoop) { [weak self] in
            self?.clientTimerExpired()
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
        guard self.timerPurpose == .none, self.exchange == nil else { return }
        if let address = context.channel.remoteAddress {
            self.clientAddress = address.ipAddress ?? "-"
        }
        self.worker.register(self)
        if self.worker.isQuiescing {
            self.isQuiescing = true
        }
        self.timerPurpose = .awaitingHead
        self.timer?.arm(self.settings.clientHeaderTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.isClosing = true
        self.timer?.cancel()
        self.worker.unregister(self)
        if let exchange = self.exchange {
            self.exchange = nil
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
        self.pending.removeAll()
        context.fireChannelInactive()
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.inReadCycle = true
        let part = self.unwrapInboundIn(data)
        if self.shouldQueue(part) {
            self.pending.append(part)
            return
        }
        self.handle(part)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.inReadCycle = false
        self.flushUpstreamIfNeeded()
        context.flush()
        context.fireChannelReadComplete()
    }

    func handle(_ part: HTTPServerRequestPart) {
        switch part {
        case .head(let head):
            self.startExchange(head)
        case .body(let buffer):
            self.requestBody(buffer)
        case .end(let trailers):
            self.requestEnd(trailers)
        }
    }

    /// Parts wait in `pending` when something earlier is still being handled: a queue
    /// is already non-empty, the current request's upstream is not attached yet, or
    /// the current request is complete and this is the next one (pipelining).
    private func shouldQueue(_ part: HTTPServerRequestPart) -> Bool {
        if !self.pending.isEmpty { return true }
        guard let exchange = self.exchange else { return false }
        if exchange.requestComplete { return true }
        return exchange.bodyTarget == .queue
    }

    /// Handles queued parts for as long as they can be handled now.
    func processPending() {
        while let part = self.pending.first {
            if let exchange = self.exchange {
                if exchange.requestComplete || exchange.bodyTarget == .queue { break }
            }
            self.pending.removeFirst()
            self.handle(part)
            if self.isClosing { return }
        }
        self.flushUpstreamIfNeeded()
        self.resumeReadingIfPossible()
    }

    func flushUpstreamIfNeeded() {
        if self.upstreamNeedsFlush {
            self.upstreamNeedsFlush = false
            self.exchange?.upstream?.flush()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            // I/O errors (reset by peer etc.) end in channelInactive.
            context.close(promise: nil)
            return
        }
        let status: HTTPResponseStatus
        switch parserError {
        case .headerOverflow: status = .requestHeaderFieldsTooLarge
        case .invalidVersion: status = .httpVersionNotSupported
        default: status = .badRequest
        }
        self.pending.removeAll()
        guard let exchange = self.exchange else {
            self.rejectMalformed(status: status)
            return
        }
        if exchange.requestComplete {
            // The bad bytes belong to a later (pipelined) request: finish the current
            // response, then close.
            exchange.closeAfterResponse = true
            return
        }
        // The current request's body is malformed (bad chunk framing): whatever went
        // upstream is abandoned, and the client learns why if nothing was sent yet.
        if let upstream = exchange.upstream {
            exchange.upstream = nil
            upstream.detach()
            upstream.close()
        }
        exchange.closeAfterResponse = true
        exchange.bodyTarget = .discard
        if exchange.responseStarted {
            context.close(promise: nil)
        } else {
            self.respondLocally(exchange, error: status)
        }
    }

    // MARK: Outbound (read pacing)

    func read(context: ChannelHandlerContext) {
        if self.readsPaused {
            self.heldRead = true
            return
        }
        context.read()
    }

    var readsPaused: Bool {
        if !self.pending.isEmpty { return true }
        guard let exchange = self.exchange, !exchange.requestComplete else { return false }
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
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.exchange?.upstream?.resumeReading()
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Timers

    func armIdleTimer() {
        self.headStarted = false
        self.timerPurpose = .awaitingHead
        self.timer?.arm(self.settings.clientIdleTimeout)
    }

    /// Called by `RequestHeadWatch` when bytes arrive; the first bytes of a new request
    /// switch from the keep-alive idle timeout to the (shorter) header timeout.
    func clientBytesArrived() {
        guard self.exchange == nil, !self.headStarted else { return }
        self.headStarted = true
        self.timerPurpose = .awaitingHead
        self.timer?.arm(self.settings.clientHeaderTimeout)
    }

    private func clientTimerExpired() {
        let purpose = self.timerPurpose
        self.timerPurpose = .none
        switch purpose {
        case .none:
            return
        case .awaitingHead:
            if self.headStarted && self.exchange == nil {
                // RFC 9110 §15.5.9: the client did not finish its request in time.
                self.rejectMalformed(status: .requestTimeout)
            } else {
                self.context?.close(promise: nil)
            }
        case .body:
            if let exchange = self.exchange, !exchange.responseStarted {
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
    }

    // MARK: Shutdown

    /// Graceful shutdown: close now if idle, otherwise after the current response.
    func quiesce() {
        self.isQuiescing = true
        if let exchange = self.exchange {
            exchange.closeAfterResponse = true
        } else if !self.headStarted {
            self.context?.close(promise: nil)
        }
    }

    func forceClose() {
        self.context?.close(promise: nil)
    }
}
