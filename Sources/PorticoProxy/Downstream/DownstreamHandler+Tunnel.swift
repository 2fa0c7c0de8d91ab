import NIOCore
import PorticoCore

/// What a client connection keeps while it is an Upgrade tunnel: its idle timer.
///
/// The byte counts live in the exchange (`bodyBytesForwarded` from the client,
/// `bytesSent` to it) so the access log and metrics read them as for any request, and
/// the upstream connection stays `exchange.upstream` so the connection-level code
/// (flushes, writability, drain) finds it where it always does.
final class TunnelRelay {
    /// `timeouts.tunnel_idle`, reset by traffic in either direction.
    let idleTimer: LazyDeadlineTimer
    let idleTimeout: TimeAmount

    init(idleTimer: LazyDeadlineTimer, idleTimeout: TimeAmount) {
        self.idleTimer = idleTimer
        self.idleTimeout = idleTimeout
    }

    /// Flushes whatever is pending on `context`'s channel, then closes it; closes anyway
    /// after `linger` (a peer that never reads must not keep a finished tunnel open).
    static func closeAfterFlush(_ context: ChannelHandlerContext, linger: TimeAmount) {
        let channel = context.channel
        let flushed = context.eventLoop.makePromise(of: Void.self)
        let deadline = context.eventLoop.scheduleTask(in: linger) {
            channel.close(promise: nil)
        }
        context.writeAndFlush(NIOAny(ByteBuffer()), promise: flushed)
        flushed.futureResult.whenComplete { _ in
            deadline.cancel()
            channel.close(promise: nil)
        }
    }
}

/// HTTP/1.1 Upgrade (RFC 9110 §7.8) and WebSocket (RFC 6455 §4) tunnels.
///
/// An HTTP/1.1 `GET` without a body that carries `Connection: upgrade` and `Upgrade`
/// is forwarded with both (`UpgradeOffer`, `WireHeadWriter.RequestEdits.upgrade`). If
/// the origin answers with a 101 that accepts the offer, the 101 goes to the client
/// with `Connection: upgrade` and its `Upgrade`, and both connections become one raw,
/// bidirectional byte tunnel:
/// - bytes go each way as they arrive, with backpressure both ways (each side stops
///   reading while the other cannot take more: `readsPaused`, `UpstreamHandler.read`);
/// - the request-level timeouts end at the 101; `timeouts.tunnel_idle` closes both
///   sides after that long without a byte in either direction;
/// - when either side closes (or half-closes: NIO closes on EOF), the other is closed
///   once the bytes already written to it are flushed;
/// - the upstream connection never returns to the pool;
/// - the exchange ends when the tunnel does: one access-log line (status 101, bytes
///   both ways, whole duration) and one metrics record. Until then the connection is
///   busy, so a drain or reload lets it run until it closes or the grace period ends.
/// Any other answer to an upgrade request is an ordinary response.
extension DownstreamHandler: UpstreamTunnelPeer {
    /// Called for a request whose `Connection` has the `upgrade` option.
    func offerUpgrade(_ exchange: Exchange, head: ParsedRequestHead) {
        guard UpgradeOffer.isRequested(by: head) else { return }
        if let offer = UpgradeOffer(tunnelling: head) {
            exchange.upgrade = offer
        } else {
            // Not a request that can tunnel (HTTP/1.0, not GET, a body): it is
            // forwarded without the upgrade, and the connection closes afterwards, as
            // the client may not know what to send next.
            exchange.closeAfterResponse = true
        }
    }

    // MARK: Switching

    func upstreamDidSwitchProtocols(_ upstream: UpstreamHandler, head: ParsedResponseHead, earlyBytes: ByteBuffer) {
        guard let exchange = self.exchange, exchange.upstream === upstream, !exchange.responseStarted,
            let context = self.context, !self.isClosing
        else {
            upstream.closeTunnel()
            return
        }
        if let start = exchange.upstreamStart {
            exchange.upstreamDuration = .now() - start
        }
        if let group = exchange.group, let server = exchange.server {
            group.attemptSucceeded(on: server)
        }
        // The request's own timers end with the 101 (RFC 9110 §15.2.2: the response to
        // the request is complete; what follows is the new protocol).
        self.timerPurpose = .none
        self.timer?.disarm()
        self.stopBodyRate()

        var out = ByteBuffer()
        WireHeadWriter.writeResponse(
            head,
            framing: .asReceived,
            connection: .none,
            rules: exchange.route?.responseRules ?? .none,
            extraLines: self.extraResponseLines(for: exchange),
            requestID: self.responseRequestID(exchange, status: head.status),
            upgrade: true,
            into: &out
        )
        exchange.status = head.status
        exchange.responseStarted = true
        context.write(self.wrapOutboundOut(out), promise: nil)

        let timer = LazyDeadlineTimer(eventLoop: context.eventLoop) { [self] in
            // Strong capture (see handlerAdded); the tunnel's end cancels the timer.
            self.tunnelIdleExpired()
        }
        let tunnel = TunnelRelay(idleTimer: timer, idleTimeout: self.settings.tunnelIdleTimeout)
        self.tunnel = tunnel
        timer.arm(tunnel.idleTimeout)

        if earlyBytes.readableBytes > 0 {
            self.upstreamTunnelDidReceive(earlyBytes)
        }
        if self.inbound.readableBytes > 0 {
            // Bytes the client sent after its request head belong to the new protocol.
            let early = self.inbound
            self.inbound = Self.emptyBuffer
            self.tunnelClientBytes(early)
            self.flushUpstreamIfNeeded()
        }
        // The upstream's read-complete flushes the client side.
        self.resumeReadingIfPossible()
    }

    // MARK: Relaying

    /// Client → origin.
    func tunnelClientBytes(_ bytes: ByteBuffer) {
        guard let tunnel = self.tunnel, let exchange = self.exchange, let upstream = exchange.upstream else { return }
        exchange.bodyBytesForwarded &+= bytes.readableBytes
        tunnel.idleTimer.arm(tunnel.idleTimeout)
        upstream.writeTunnel(bytes)
        self.upstreamNeedsFlush = true
        if !upstream.isWritable {
            // Flush now so the writability change can come; reads pause until then.
            self.flushUpstreamIfNeeded()
        }
    }

    /// Origin → client (flushed at the upstream's read-complete, `upstreamDidCompleteRead`).
    func upstreamTunnelDidReceive(_ bytes: ByteBuffer) {
        guard let tunnel = self.tunnel, let exchange = self.exchange, let context = self.context else { return }
        exchange.bytesSent &+= bytes.readableBytes
        tunnel.idleTimer.arm(tunnel.idleTimeout)
        context.write(self.wrapOutboundOut(bytes), promise: nil)
    }

    // MARK: Ending

    /// The origin closed: the client gets what is still pending, then its connection closes.
    func upstreamTunnelDidClose() {
        guard self.tunnel != nil, let exchange = self.exchange else { return }
        exchange.upstream = nil
        self.endTunnel(exchange)
        if let context = self.context {
            TunnelRelay.closeAfterFlush(context, linger: UpstreamHandler.tunnelCloseLinger)
        }
    }

    /// The client connection closed (EOF, reset, send timeout, drain): the origin gets
    /// what is still pending, then its connection closes. Called from `channelInactive`.
    func clientClosedTunnel() {
        guard let exchange = self.exchange else {
            self.tunnel?.idleTimer.cancel()
            self.tunnel = nil
            return
        }
        let upstream = exchange.upstream
        exchange.upstream = nil
        self.endTunnel(exchange)
        upstream?.closeTunnelAfterFlush()
    }

    /// `timeouts.tunnel_idle` passed with no byte either way: both sides close now.
    private func tunnelIdleExpired() {
        guard self.tunnel != nil, let exchange = self.exchange else { return }
        let upstream = exchange.upstream
        exchange.upstream = nil
        self.endTunnel(exchange)
        upstream?.closeTunnel()
        self.context?.close(promise: nil)
    }

    /// The exchange ends with the tunnel: one access-log line and one metrics record,
    /// the in-flight slot and route guards released. The connection does not serve
    /// another request.
    private func endTunnel(_ exchange: Exchange) {
        self.tunnel?.idleTimer.cancel()
        self.tunnel = nil
        self.isClosing = true
        self.inbound = Self.emptyBuffer
        exchange.responseComplete = true
        exchange.requestForwardedComplete = true
        self.logAccess(exchange)
        self.worker.metrics.record(exchange)
        self.endAttempt(exchange)
        self.leaveQueue(exchange)
        self.releaseGuards(exchange)
        self.exchange = nil
    }
}
