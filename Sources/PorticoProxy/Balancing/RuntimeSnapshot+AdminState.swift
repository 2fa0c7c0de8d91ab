extension RuntimeSnapshot {
    /// Sets the admin state of the server `server` (`ip:port`, as `upstreamStatus()`
    /// names it) in group `group`. Returns false when there is no such group or server.
    ///
    /// The state lives in the server's shared `ServerState`, so every worker sees it at
    /// its next pick, and later generations (reloads, DNS refreshes) that keep the
    /// server at the same address keep the state too.
    public func setAdminState(_ state: ServerAdminState, group: String, server: String) -> Bool {
        guard let runtime = self.groups.first(where: { $0.name == group }),
              let target = runtime.members.servers.first(where: { $0.identity == server })
        else { return false }
        target.state.setAdminState(state)
        return true
    }
}
