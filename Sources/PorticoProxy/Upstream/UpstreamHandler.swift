import NIOCore
import NIOHTTP1
import PorticoCore

/// Why an upstream attempt failed. The forwarder maps these to 502/504 and decides
/// whether a retry is safe (see `DownstreamHandler+Upstream.swift`).
enum UpstreamFailure: Error, Equatable {
    /// TCP connect failed or timed out.
    case connectFailed(String)
    /// The connection closed (or reset) before any response byte arrived.
    case closedBeforeResponse
    /// The connection closed after the response head, before the end of the body.
    case closedMidResponse
    /// The upstream sent something that is not a valid HTTP/1.1 response.
    case malformedResponse(String)
    /// No response head within `timeouts.upstream_header` (504).
    case headerTimeout
    /// No body bytes within `timeouts.upstream_idle`.
    case idleTimeout
}

/// What an upstream connection reports to the request it currently serves.
/// Implemented by the downstream side; all calls happen on the shared event loop.
protocol UpstreamResponseReceiver: AnyObject {
    func upstreamDidReceiveHead(_ head: HTTPResponseHead)
    func upstreamDidReceiveBody(_ buffer: ByteBuffer)
    func upstreamDidReceiveEnd(_ trailers: HTTPHeaders?)
    func upstreamDidCompleteRead()
    func upstreamDidFail(_ failure: UpstreamFailure)
    func upstreamWritabilityDidChange(isWritable: Bool)
    /// Whether the client connection can take more bytes; when false the upstream
    /// connection stops reading (backpressure from a slow client to the upstream).
    var downstreamIsWritable: Bool { get }
}

/// The last handler of an upstream (proxy → origin) connection's pipeline.
///
/// It relays decoded response parts to the `receiver` (the client request being
/// served), holds reads while the client cannot keep up, and enforces the upstream
/// header and idle-read timeouts. Between requests it sits idle in a `ConnectionPool`
/// with no receiver; anything arriving then (or a close) evicts it.
final class UpstreamHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    let server: HostPort
    private(set) var context: ChannelHandlerContext?
    private(set) weak var receiver: (any UpstreamResponseReceiver)?
    private weak var pool: ConnectionPool?
    private var timer: LazyDeadlineTimer?
    private var timerPurpose: TimerPurpose = .none
    private var heldRead = false
    private(set) var isClosed = false
    /// How many requests this connection has carried (1 on its first use).
    private(set) var useCount = 0
    /// Whether the current response's head has arrived.
    private var sawResponseHead = false
    private var sawResponseEnd = false
    private var headerTimeout: TimeAmount = .seconds(60)
    private var idleTimeout: TimeAmount = .seconds(60)
    /// Set by the pool while idle, for expiry sweeps.
    var idleSince: NIODeadline = .uptimeNanoseconds(0)
    /// The group's `keepalive.idle_timeout`, set by the pool while idle.
    var poolIdleTimeout: TimeAmount = .seconds(60)

    private enum TimerPurpose {
        case none
        case header
        case idleRead
    }

    init(server: HostPort, pool: ConnectionPool) {
        self.server = server
        self.pool = pool
    }

    var isReused: Bool { self.useCount > 1 }
    var isWritable: Bool { self.context?.channel.isWritable ?? false }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.timer = LazyDeadlineTimer(eventLoop: context.eventLoop) { [weak self] in
            self?.timerExpired()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        self.context = nil
    }

    // MARK: Attaching to a request

    /// Binds this connection to one request. `headerTimeout` starts once the request end is written.
    func attach(to receiver: any UpstreamResponseReceiver, headerTimeout: TimeAmount, idleTimeout: TimeAmount) {
        self.receiver = receiver
        self.useCount += 1
        self.sawResponseHead = false
        self.sawResponseEnd = false
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        // The header timeout runs from the request head on and is pushed back by each
        // body write; a stalled upload is bounded by the client body timeout.
        self.timerPurpose = .header
        self.timer?.arm(headerTimeout)
        // No read() here: reads stay enabled while the connection idles in the pool.
    }

    /// Unbinds from the request. Called before the connection goes back to the pool or is closed.
    func detach() {
        self.receiver = nil
        self.timerPurpose = .none
        self.timer?.disarm()
    }

    /// Whether the response was read completely, so the connection can carry another request.
    var responseComplete: Bool { self.sawResponseEnd }

    // MARK: Writing the request

    func write(_ part: HTTPClientRequestPart) {
        if self.timerPurpose == .header {
            // The response-head timeout counts from the last request byte sent, so a
            // long upload is not cut off (nginx: proxy_read_timeout after the send).
            self.timer?.arm(self.headerTimeout)
        }
        self.context?.write(self.wrapOutboundOut(part), promise: nil)
    }

    func flush() {
        self.context?.flush()
    }

    func close() {
        guard !self.isClosed else { return }
        self.isClosed = true
        self.receiver = nil
        self.context?.close(promise: nil)
    }

    /// Re-issues a read that was held for backpressure.
    func resumeReading() {
        if self.heldRead, let context = self.context {
            self.heldRead = false
            context.read()
        }
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let receiver = self.receiver, !self.sawResponseEnd else {
            // Nothing may arrive between responses (RFC 9112 §9.3: unsolicited data
            // means the connection cannot be reused).
            self.close()
            return
        }
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            if head.status.code < 200 && head.status != .switchingProtocols {
                // Informational (1xx) responses: pass on, keep waiting for the final head.
                receiver.upstreamDidReceiveHead(head)
                return
            }
            self.sawResponseHead = true
            self.timerPurpose = .idleRead
            self.timer?.arm(self.idleTimeout)
            receiver.upstreamDidReceiveHead(head)
        case .body(let buffer):
            if self.timerPurpose == .idleRead {
                self.timer?.arm(self.idleTimeout)
            }
            receiver.upstreamDidReceiveBody(buffer)
        case .end(let trailers):
            self.sawResponseEnd = true
            self.timerPurpose = .none
            self.timer?.disarm()
            receiver.upstreamDidReceiveEnd(trailers)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.receiver?.upstreamDidCompleteRead()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.receiver?.upstreamWritabilityDidChange(isWritable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.isClosed = true
        self.timer?.cancel()
        if let receiver = self.receiver {
            self.receiver = nil
            receiver.upstreamDidFail(self.sawResponseHead ? .closedMidResponse : .closedBeforeResponse)
        }
        self.pool?.connectionClosed(self)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let failure: UpstreamFailure
        if error is HTTPParserError {
            failure = .malformedResponse("\(error)")
        } else {
            failure = self.sawResponseHead ? .closedMidResponse : .closedBeforeResponse
        }
        if let receiver = self.receiver {
            self.receiver = nil
            receiver.upstreamDidFail(failure)
        }
        self.close()
    }

    // MARK: Outbound

    func read(context: ChannelHandlerContext) {
        if let receiver = self.receiver, !receiver.downstreamIsWritable {
            self.heldRead = true
            return
        }
        context.read()
    }

    // MARK: Timers

    private func timerExpired() {
        let failure: UpstreamFailure
        switch self.timerPurpose {
        case .none:
            return
        case .header:
            failure = .headerTimeout
        case .idleRead:
            failure = .idleTimeout
        }
        self.timerPurpose = .none
        if let receiver = self.receiver {
            self.receiver = nil
            receiver.upstreamDidFail(failure)
        }
        self.close()
    }
}
