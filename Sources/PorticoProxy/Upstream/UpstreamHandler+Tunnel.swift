import NIOCore
import PorticoCore

/// The client side of an Upgrade tunnel, as the upstream connection sees it. Implemented
/// by `DownstreamHandler` (HTTP/1.1 only: HTTP/2 has no `Upgrade`, RFC 9113 §8.2.2).
/// Every call happens on the shared event loop.
protocol UpstreamTunnelPeer: AnyObject {
    /// The origin accepted the upgrade with `head` (a 101 already checked against the
    /// client's offer). `earlyBytes` are bytes of the new protocol that arrived with
    /// the head. From now on `upstream` carries raw bytes only.
    func upstreamDidSwitchProtocols(_ upstream: UpstreamHandler, head: ParsedResponseHead, earlyBytes: ByteBuffer)
    /// Bytes from the origin, to go to the client as they are.
    func upstreamTunnelDidReceive(_ bytes: ByteBuffer)
    /// The origin closed (or reset) its end: the tunnel is over.
    func upstreamTunnelDidClose()
}

/// An upstream connection that switched protocols after a `101 Switching Protocols`
/// (RFC 9110 §15.2.2, §7.8): it no longer parses HTTP, passes every received byte to
/// its `tunnelPeer`, and is never returned to the pool. Backpressure is unchanged: the
/// connection stops reading while the client connection is not writable (`read`), and
/// the client connection stops reading while this one is not writable.
extension UpstreamHandler {
    /// How long a tunnel's last bytes may take to reach a peer that stopped reading
    /// before its connection is closed anyway (the tunnel itself has already ended).
    static let tunnelCloseLinger: TimeAmount = .seconds(30)

    func beginTunnel(_ head: ParsedResponseHead, peer: any UpstreamTunnelPeer, earlyBytes: ByteBuffer) {
        self.isTunnel = true
        self.tunnelPeer = peer
        peer.upstreamDidSwitchProtocols(self, head: head, earlyBytes: earlyBytes)
    }

    /// Bytes from the origin. After the tunnel ended (the client went away and this
    /// side is flushing its last bytes) they are dropped.
    func tunnelRead(_ bytes: ByteBuffer) {
        self.tunnelPeer?.upstreamTunnelDidReceive(bytes)
    }

    /// The connection closed: the client side ends too.
    func tunnelClosed() {
        guard let peer = self.tunnelPeer else { return }
        self.tunnelPeer = nil
        peer.upstreamTunnelDidClose()
    }

    /// Bytes from the client, written as they are (flushed by the caller).
    func writeTunnel(_ bytes: ByteBuffer) {
        self.context?.write(self.wrapOutboundOut(bytes), promise: nil)
    }

    /// The client side ended: let the bytes already written reach the origin, then
    /// close (bounded by `tunnelCloseLinger` when the origin does not read them).
    func closeTunnelAfterFlush() {
        self.tunnelPeer = nil
        self.detach()
        guard let context = self.context, !self.isClosed else { return }
        TunnelRelay.closeAfterFlush(context, linger: Self.tunnelCloseLinger)
    }

    /// The tunnel ended for another reason (idle timeout): close at once.
    func closeTunnel() {
        self.tunnelPeer = nil
        self.detach()
        self.close()
    }
}
