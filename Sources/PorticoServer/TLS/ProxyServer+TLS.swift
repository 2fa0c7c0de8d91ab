import NIOConcurrencyHelpers
import PorticoCore
import PorticoProxy

/// Compiling listeners' TLS contexts for a start or a reload.
extension ProxyServer {
    /// The TLS contexts of one listener (nil for a cleartext one). `running` holds the
    /// bound listeners' current contexts, whose counters the new ones continue.
    func makeTLSContexts(
        for listener: ListenerConfig,
        handshakeTimeout: Duration,
        running: [ListenerKey: ListenerTLSContexts]
    ) throws -> ListenerTLSContexts? {
        guard let tls = listener.tls else { return nil }
        do {
            return try ListenerTLSContexts(
                config: tls,
                listenerName: listener.name,
                handshakeTimeout: handshakeTimeout,
                counters: running[ListenerKey(listener)]?.counters
            )
        } catch {
            throw StartupError(description: "\(error)")
        }
    }

    /// The TLS contexts of every TLS listener of `listeners`, keyed by listener: the
    /// certificate files are read again (rotation by reload). Throws on the first
    /// listener whose files cannot be loaded.
    func makeTLSContexts(for listeners: [ListenerConfig], handshakeTimeout: Duration) throws -> [ListenerKey: ListenerTLSContexts] {
        let running: [ListenerKey: ListenerTLSContexts] = self.state.withLockedValue { state in
            var result: [ListenerKey: ListenerTLSContexts] = [:]
            for bound in state.listeners {
                if let tls = bound.generation.tls { result[bound.key] = tls }
            }
            return result
        }
        var result: [ListenerKey: ListenerTLSContexts] = [:]
        for listener in listeners {
            if let tls = try self.makeTLSContexts(for: listener, handshakeTimeout: handshakeTimeout, running: running) {
                result[ListenerKey(listener)] = tls
            }
        }
        return result
    }

    /// TLS handshake failures (and handshake timeouts) per TLS listener, in listener order.
    public var tlsHandshakeFailures: [(listener: String, count: Int)] {
        Self.tlsHandshakeFailures(self.state)
    }

    static func tlsHandshakeFailures(_ state: NIOLockedValueBox<State>) -> [(listener: String, count: Int)] {
        state.withLockedValue { $0.listeners }.compactMap { bound in
            bound.generation.tls.map { (bound.generation.config.name, $0.counters.handshakeFailureCount) }
        }
    }
}

extension ProxyServer {
    /// `portico_tls_handshake_failures_total{listener}` (TLS listeners only; empty text
    /// when there are none).
    static func tlsFamilies(_ state: NIOLockedValueBox<State>) -> String {
        let counts = Self.tlsHandshakeFailures(state)
        guard !counts.isEmpty else { return "" }
        var out = ""
        PrometheusText.header(
            "portico_tls_handshake_failures_total", .counter,
            help: "TLS handshakes that failed or timed out (no shared version or cipher, refused client certificate, not TLS), by listener.",
            into: &out
        )
        for (listener, count) in counts {
            PrometheusText.sample("portico_tls_handshake_failures_total", [("listener", listener)], count, into: &out)
        }
        return out
    }
}
