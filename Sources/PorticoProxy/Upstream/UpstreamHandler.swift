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
    /// A response head: informational (1xx) ones may come before the final one.
    /// `framing` is how the body is delimited on the upstream connection.
    func upstreamDidReceiveHead(_ head: ParsedResponseHead, framing: ResponseFraming)
    /// Raw body bytes as received (for a chunked body: with its chunk framing, validated).
    func upstreamDidReceiveBody(_ bytes: ByteBuffer)
    func upstreamDidReceiveEnd()
    func upstreamDidCompleteRead()
    func upstreamDidFail(_ failure: UpstreamFailure)
    func upstreamWritabilityDidChange(isWritable: Bool)
    /// Whether the client connection can take more bytes; when false the upstream
    /// connection stops reading (backpressure from a slow client to the upstream).
    var downstreamIsWritable: Bool { get }
}

/// The only handler of an upstream (proxy → origin) connection: it parses response
/// heads with Portico's own strict parser, finds the end of each body by its framing
/// (validating chunked framing as it passes), and relays raw bytes to the `receiver`
/// (the client request being served). Requests are written as raw bytes too.
///
/// It holds reads while the client cannot keep up, and enforces the upstream header
/// and idle-read timeouts. Between requests it idles in a `ConnectionPool` with no
/// receiver; anything arriving then (or a close) evicts it.
final class UpstreamHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let server: HostPort
    /// An HTTP/2 stream behind an `UpstreamHTTP2StreamBridge`: never pooled (closing it ends the
    /// stream; new requests open new streams).
    let isStream: Bool
    private(set) var context: ChannelHandlerContext?
    /// Strong on purpose (a weak load on every event showed in profiles): the
    /// reference is cleared on `detach()`, `close()` and failure, which every path
    /// that ends an exchange goes through.
    private(set) var receiver: (any UpstreamResponseReceiver)?
    /// Strong (a weak reference would put every retain of the pool on the slow path);
    /// the pool outlives its connections, which it closes on shutdown.
    private let pool: ConnectionPool
    private var timer: LazyDeadlineTimer?
    private var timerPurpose: TimerPurpose = .none
    private var heldRead = false
    private(set) var isClosed = false
    /// How many requests this connection has carried (1 on its first use).
    private(set) var useCount = 0
    private var headerTimeout: TimeAmount = .seconds(60)
    private var idleTimeout: TimeAmount = .seconds(60)
    /// Set by the pool while idle, for expiry sweeps.
    var idleSince: NIODeadline = .uptimeNanoseconds(0)
    /// The group's `keepalive.idle_timeout`, set by the pool while idle.
    var poolIdleTimeout: TimeAmount = .seconds(60)

    private var requestMethod: HTTPMethod = .GET
    private var phase: Phase = .idle
    private var inbound = ByteBuffer()
    private var parser = HTTP1ResponseHeadParser()
    /// Whether the final response allows the connection to be reused.
    private(set) var responseKeepAlive = false
    /// The current request offered an Upgrade: a matching 101 turns the connection into
    /// a tunnel (`UpstreamHandler+Tunnel.swift`) instead of failing it.
    private var upgradeOffer: UpgradeOffer?
    /// The connection switched protocols: from then on it carries raw bytes, never
    /// returns to the pool, and ends with the tunnel.
    var isTunnel = false
    /// The client connection at the other end of the tunnel, until the tunnel ends.
    var tunnelPeer: (any UpstreamTunnelPeer)?

    private enum Phase {
        case idle
        case awaitingHead
        case contentLength(remaining: Int)
        case chunked(ChunkedScanner)
        case untilClose
        case complete
    }

    private enum TimerPurpose {
        case none
        case header
        case idleRead
    }

    init(server: HostPort, pool: ConnectionPool, isStream: Bool = false) {
        self.server = server
        self.pool = pool
        self.isStream = isStream
    }

    var isReused: Bool { self.useCount > 1 }
    var isWritable: Bool { self.context?.channel.isWritable ?? false }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // Not `[weak self]` (see DownstreamHandler.handlerAdded): the timer is cancelled
        // and dropped in `handlerRemoved`, before this handler can go away.
        self.timer = LazyDeadlineTimer(eventLoop: context.eventLoop) { [self] in
            self.timerExpired()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        self.context = nil
    }

    // MARK: Attaching to a request

    /// Binds this connection to one request. The header timeout runs from the request
    /// head on and is pushed back by each body write.
    func attach(
        to receiver: any UpstreamResponseReceiver,
        requestMethod: HTTPMethod,
        headerTimeout: TimeAmount,
        idleTimeout: TimeAmount,
        upgrade: UpgradeOffer? = nil
    ) {
        self.receiver = receiver
        self.upgradeOffer = upgrade
        self.requestMethod = requestMethod
        self.useCount += 1
        self.phase = .awaitingHead
        self.responseKeepAlive = false
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.timerPurpose = .header
        self.timer?.arm(headerTimeout)
    }

    /// Unbinds from the request. Called before the connection goes back to the pool or is closed.
    func detach() {
        self.receiver = nil
        self.timerPurpose = .none
        self.timer?.disarm()
        if case .complete = self.phase {
            self.phase = .idle
        }
    }

    /// Whether the response was read completely, so the connection can carry another request.
    var responseComplete: Bool {
        if case .complete = self.phase { return true }
        return false
    }

    // MARK: Writing the request

    func write(_ bytes: ByteBuffer) {
        if self.timerPurpose == .header {
            // The response-head timeout counts from the last request byte sent, so a
            // long upload is not cut off (nginx: proxy_read_timeout after the send).
            self.timer?.arm(self.headerTimeout)
        }
        self.context?.write(self.wrapOutboundOut(bytes), promise: nil)
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
        var bytes = self.unwrapInboundIn(data)
        if self.isTunnel {
            self.tunnelRead(bytes)
            return
        }
        guard self.receiver != nil else {
            // Nothing may arrive between responses (RFC 9112 §9.3: unsolicited data
            // means the connection cannot be reused).
            self.close()
            return
        }
        if self.inbound.readableBytes == 0 {
            self.inbound = bytes
        } else {
            self.inbound.writeBuffer(&bytes)
        }
        self.processInbound()
    }

    private func processInbound() {
        while let receiver = self.receiver {
            switch self.phase {
            case .idle, .complete:
                if self.inbound.readableBytes > 0 {
                    // Bytes after the end of the response: the connection is out of sync.
                    self.responseKeepAlive = false
                    self.inbound.clear()
                }
                return
            case .awaitingHead:
                switch self.parser.parse(&self.inbound) {
                case .incomplete:
                    return
                case .invalid(let error):
                    self.fail(.malformedResponse(error.reason))
                    return
                case .complete(let head):
                    self.parser = HTTP1ResponseHeadParser()
                    if head.status < 200 {
                        if head.status == 101 {
                            // RFC 9110 §15.2.2: only an answer to the client's own Upgrade offer.
                            guard let offer = self.upgradeOffer, offer.accepts(head),
                                let peer = receiver as? any UpstreamTunnelPeer
                            else {
                                self.fail(.malformedResponse("unexpected 101"))
                                return
                            }
                            // The response timers end here; the tunnel has its own idle timeout.
                            self.timerPurpose = .none
                            self.timer?.disarm()
                            self.phase = .idle
                            self.responseKeepAlive = false
                            let early = self.inbound
                            self.inbound = DownstreamHandler.emptyBuffer
                            self.beginTunnel(head, peer: peer, earlyBytes: early)
                            return
                        }
                        receiver.upstreamDidReceiveHead(head, framing: .none)
                        continue  // the final response follows
                    }
                    guard let framing = head.framing(forRequestMethod: self.requestMethod) else {
                        self.fail(.malformedResponse("unsupported transfer coding"))
                        return
                    }
                    // After a refused upgrade the origin's parser may already expect the
                    // new protocol (llhttp-based servers do): never reuse the connection.
                    self.responseKeepAlive = head.isKeepAlive(forRequestMethod: self.requestMethod) && self.upgradeOffer == nil
                    self.timerPurpose = .idleRead
                    self.timer?.arm(self.idleTimeout)
                    switch framing {
                    case .none, .contentLength(0):
                        self.phase = .complete
                        receiver.upstreamDidReceiveHead(head, framing: framing)
                        self.finishResponse()
                    case .contentLength(let length):
                        self.phase = .contentLength(remaining: length)
                        receiver.upstreamDidReceiveHead(head, framing: framing)
                    case .chunked:
                        self.phase = .chunked(ChunkedScanner(mode: .validate))
                        receiver.upstreamDidReceiveHead(head, framing: framing)
                    case .untilClose:
                        self.phase = .untilClose
                        receiver.upstreamDidReceiveHead(head, framing: framing)
                    }
                }
            case .contentLength(let remaining):
                let available = self.inbound.readableBytes
                guard available > 0 else { return }
                let take = min(available, remaining)
                let slice = self.inbound.readSlice(length: take)!
                self.timer?.arm(self.idleTimeout)
                if take == remaining {
                    self.phase = .complete
                    receiver.upstreamDidReceiveBody(slice)
                    self.finishResponse()
                } else {
                    self.phase = .contentLength(remaining: remaining - take)
                    receiver.upstreamDidReceiveBody(slice)
                    return
                }
            case .chunked(var scanner):
                guard self.inbound.readableBytes > 0 else { return }
                self.phase = .idle  // avoid a second copy of the scanner while it mutates
                let (raw, event) = scanner.scanRaw(&self.inbound)
                self.timer?.arm(self.idleTimeout)
                switch event {
                case .needMoreData, .data:
                    self.phase = .chunked(scanner)
                    receiver.upstreamDidReceiveBody(raw)
                    return
                case .end:
                    self.phase = .complete
                    receiver.upstreamDidReceiveBody(raw)
                    self.finishResponse()
                case .error(let error):
                    self.fail(.malformedResponse("\(error)"))
                    return
                }
            case .untilClose:
                guard self.inbound.readableBytes > 0 else { return }
                let all = self.inbound
                self.inbound = ByteBuffer()
                self.timer?.arm(self.idleTimeout)
                receiver.upstreamDidReceiveBody(all)
                return
            }
        }
    }

    private func finishResponse() {
        if self.inbound.readableBytes > 0 {
            // Bytes beyond the end of the response: never reuse this connection.
            self.responseKeepAlive = false
        } else {
            // Release the receive buffer while the connection idles in the pool.
            self.inbound = DownstreamHandler.emptyBuffer
        }
        self.timerPurpose = .none
        self.timer?.disarm()
        self.receiver?.upstreamDidReceiveEnd()
    }

    private func fail(_ failure: UpstreamFailure) {
        if let receiver = self.receiver {
            self.receiver = nil
            receiver.upstreamDidFail(failure)
        }
        self.close()
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
        if self.isTunnel {
            self.tunnelClosed()
            self.pool.connectionClosed(self)
            return
        }
        if let receiver = self.receiver {
            switch self.phase {
            case .untilClose:
                // RFC 9112 §6.3 item 8: the close ends a body without framing.
                self.phase = .complete
                self.responseKeepAlive = false
                receiver.upstreamDidReceiveEnd()
            case .awaitingHead:
                self.receiver = nil
                receiver.upstreamDidFail(.closedBeforeResponse)
            case .contentLength, .chunked:
                self.receiver = nil
                receiver.upstreamDidFail(.closedMidResponse)
            case .idle, .complete:
                break
            }
        }
        self.pool.connectionClosed(self)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if self.isTunnel {
            self.close()  // the tunnel ends in channelInactive
            return
        }
        if let failure = error as? UpstreamFailure {
            // Already classified below us (an HTTP/2 stream refused by the server).
            self.fail(failure)
            return
        }
        let failure: UpstreamFailure
        if case .awaitingHead = self.phase {
            failure = .closedBeforeResponse
        } else {
            failure = .closedMidResponse
        }
        self.fail(failure)
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
        self.fail(failure)
    }
}
