import PorticoCore
import PorticoProxy

/// Applying a new configuration to a running server.
extension ProxyServer {
    /// Switches to a new configuration without closing any connection it keeps:
    /// requests in flight finish under the generation they started with, open keep-alive
    /// connections stay open and use the new routes for their next request, and servers
    /// that keep their address keep their health, ejections and counters.
    ///
    /// Listeners (told apart by `ListenerKey`, their configured address): new ones are
    /// bound *before* anything changes, so a bind failure (port in use, no permission)
    /// refuses the whole reload; kept ones keep their socket and open connections and
    /// apply changed settings (access list, caps, PROXY protocol, name) to connections
    /// accepted from then on; removed ones stop accepting and drain (idle connections
    /// close at once, busy ones after their response, sent with `Connection: close`).
    ///
    /// TLS listeners' certificate, key and CA files are read again on every reload, even
    /// when the configuration is unchanged (certificate rotation): new handshakes use the
    /// new contexts, connections already open keep theirs.
    ///
    /// If the configuration cannot be compiled (an unreadable htpasswd file, a bad key, a
    /// certificate that cannot be loaded) or a new listener cannot be bound, it throws and
    /// the running configuration stays in force. Reloads run one at a time, in call order. `workers` cannot change while
    /// running (the event loops are fixed at start); a change is logged and ignored.
    public func reload(config: PorticoConfig) async throws {
        try await self.reloads.run {
            try await self.applyReload(config)
        }
    }

    private func applyReload(_ config: PorticoConfig) async throws {
        let (isStarted, isShutDown, runningKeys, runningGlobal) = self.state.withLockedValue {
            ($0.isStarted, $0.isShutDown, $0.listeners.map(\.key), $0.globalConnectionLimiter)
        }
        guard !isShutDown else { throw StartupError(description: "the server is shut down") }
        let previous = self.current.withLockedValue { $0 }
        let next = try RuntimeSnapshot(config: config, previous: previous, logger: self.logger)
        // Certificates are loaded before anything changes: a bad file refuses the reload.
        let tls = try self.makeTLSContexts(for: config.listeners, handshakeTimeout: config.timeouts.tlsHandshake)

        let globalChanged = runningGlobal?.limit != config.security.maxConnections
        let global = globalChanged ? config.security.maxConnections.map { CountingLimiter(limit: $0) } : runningGlobal
        let plan = ListenerPlan(current: runningKeys, next: config.listeners)
        // Before the start, listeners are bound by `start()` from the new configuration.
        let added = isStarted ? try await self.bindAdded(plan, global: global, tls: tls) : []

        self.current.withLockedValue { $0 = next }
        self.state.withLockedValue { $0.globalConnectionLimiter = global }
        for worker in self.workers.values {
            worker.update(snapshot: next)
        }
        if isStarted {
            self.monitor.watch(next)
            await self.applyListeners(config.listeners, added: added, global: global, globalChanged: globalChanged, tls: tls)
        }
        if config.workers != previous.config.workers {
            self.logger.warning("a change of workers takes effect on restart")
        }
        self.logger.notice(
            "configuration reloaded",
            metadata: [
                "upstreams": "\(config.upstreams.count)", "routes": "\(config.routes.count)",
                "listeners_added": "\(plan.added.count)", "listeners_removed": "\(plan.removed.count)",
            ]
        )
    }

    /// Makes `reload(trigger:)` (SIGHUP, the admin API, `--watch`) re-read `reloader`'s
    /// configuration file. A server started from a configuration built in code has none.
    public func attach(reloader: ConfigReloader) {
        self.state.withLockedValue { $0.reloader = reloader }
    }

    /// The attached configuration reloader, if any.
    public var reloader: ConfigReloader? {
        self.state.withLockedValue { $0.reloader }
    }

    /// Re-reads and applies the configuration file (`attach(reloader:)`), recording the
    /// outcome in `reloadLog`. Without an attached file the reload fails (and is
    /// recorded): there is nothing to re-read.
    public func reload(trigger: ReloadEvent.Trigger) async -> ReloadEvent {
        if let reloader = self.reloader {
            return await reloader.reload(trigger: trigger)
        }
        let event = ReloadEvent(
            time: ReloadEvent.now(), trigger: trigger, succeeded: false,
            message: "no configuration file attached (the server was not started with --config)"
        )
        self.logger.error("reload failed", metadata: ["reason": "\(event.message)"])
        self.reloadLog.record(event)
        return event
    }
}
