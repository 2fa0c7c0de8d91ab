import NIOCore
import PorticoCore

extension ListenerRuntime {
    /// The listener's `allow`/`deny` list for a new TLS connection, checked before the
    /// handshake so a refused client costs no key exchange. A refusal is counted and
    /// logged like every other. The connection limits are still taken when HTTP starts
    /// (`DownstreamHandler.admitOnAccept`), which checks the list again (cheaply).
    public func admitsBeforeHandshake(_ peer: SocketAddress?) -> Bool {
        guard let access = self.access, !self.proxyProtocol else { return true }
        let text = peer?.ipAddress
        if let address = text.flatMap({ IPAddress($0) }), access.permits(address) { return true }
        self.noteRefused(.access, client: text ?? "-")
        return false
    }
}
