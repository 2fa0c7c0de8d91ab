import PorticoCore
import PorticoProxy

/// The parts of `AdminBackend` that act on the running configuration generation.
extension ProxyServer {
    /// Drains, disables or re-enables one upstream server at run time (admin API).
    /// `server` is `ip:port` as in `upstreamStatus()`. Returns false for an unknown
    /// group or server. The state survives reloads that keep the server's address.
    public func setAdminState(_ state: ServerAdminState, group: String, server: String) -> Bool {
        self.current.withLockedValue { $0 }.setAdminState(state, group: group, server: server)
    }

    /// The configuration in force: the last one reloaded, or the one started with.
    public func currentConfig() -> PorticoConfig {
        self.current.withLockedValue { $0 }.config
    }
}
