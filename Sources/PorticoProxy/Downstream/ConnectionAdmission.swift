import PorticoCore

/// The connection-level admission of one client connection, whatever protocol it then
/// speaks: the listener access list, `max_connections`, `max_connections_per_ip` and
/// `security.max_connections` (with idle eviction), and the slots the connection holds
/// as a result, each released exactly once. An HTTP/1.1 connection's `DownstreamHandler`
/// and an HTTP/2 connection's `HTTP2ConnectionHandler` both use it, once per connection
/// (never per request or stream); an h2c connection takes over the slots its
/// `DownstreamHandler` was admitted with. See docs/security-connections.md.
struct ConnectionAdmission {
    private(set) var holdsListenerSlot = false
    var holdsGlobalSlot = false
    private(set) var perIPKey: UInt64?

    init() {}

    /// The checks that can run on accept. With the PROXY protocol the address checks
    /// wait for the header (`admitClientAddress`). On refusal every slot taken so far
    /// is released again.
    mutating func admitOnAccept(
        listener: ListenerRuntime,
        peerIP: IPAddress?,
        worker: ProxyWorker
    ) -> ListenerRuntime.Refusal? {
        if !listener.proxyProtocol, let refusal = self.admitClientAddress(listener: listener, peerIP: peerIP) {
            return refusal
        }
        if let limiter = listener.connections {
            guard limiter.tryAcquire() else {
                self.release(listener: listener)
                return .limit
            }
            self.holdsListenerSlot = true
        }
        if let global = listener.global {
            if global.tryAcquire() {
                self.holdsGlobalSlot = true
            } else if worker.evictOldestIdleConnection() {
                // The evicted connection handed its slot over to this one.
                self.holdsGlobalSlot = true
            } else {
                self.release(listener: listener)
                return .limit
            }
        }
        return nil
    }

    /// The checks that depend on the client's address: on accept, or, with the PROXY
    /// protocol, once the header named the client.
    mutating func admitClientAddress(listener: ListenerRuntime, peerIP: IPAddress?) -> ListenerRuntime.Refusal? {
        if let access = listener.access {
            guard let address = peerIP, access.permits(address) else { return .access }
        }
        if let perIP = listener.connectionsPerIP, let address = peerIP {
            let key = ListenerRuntime.ipKey(address)
            guard perIP.acquire(key: key) else { return .limit }
            self.perIPKey = key
        }
        return nil
    }

    /// Returns every slot held; safe to call more than once.
    mutating func release(listener: ListenerRuntime) {
        if self.holdsListenerSlot {
            self.holdsListenerSlot = false
            listener.connections?.release()
        }
        if let key = self.perIPKey {
            self.perIPKey = nil
            listener.connectionsPerIP?.release(key: key)
        }
        if self.holdsGlobalSlot {
            self.holdsGlobalSlot = false
            listener.global?.release()
        }
    }

    /// Moves the slots out (to the connection's next owner, e.g. the HTTP/2 handler of
    /// an h2c connection), leaving nothing to release here.
    mutating func take() -> ConnectionAdmission {
        let slots = self
        self = ConnectionAdmission()
        return slots
    }
}
