import NIOCore

/// A client connection as its worker sees it: what quiescing, forced close, idle
/// eviction (`security.max_connections`) and the connection gauges need. An HTTP/1.1
/// connection is its `DownstreamHandler`; an HTTP/2 connection is its
/// `HTTP2ConnectionHandler`, whatever its streams do (a connection is counted, admitted
/// and drained once, however many requests it carries).
///
/// Only ever used on the worker's event loop (register/unregister once per connection,
/// the rest on drain, eviction or a metrics scrape: nothing per request).
protocol ClientConnection: AnyObject {
    /// The listener generation the connection was accepted under.
    var listener: ListenerRuntime { get }
    /// Requests begun and not yet answered in full (the in-flight gauge).
    var requestsInFlight: Int { get }
    /// Waiting for a request with nothing buffered: closing it loses no work.
    var isIdleForEviction: Bool { get }
    /// When it last became idle (for picking the oldest idle one to evict).
    var idleSince: NIODeadline { get }
    /// Closes it to make room, handing its `security.max_connections` slot to the caller.
    func evictForCapacity()
    /// Graceful shutdown: finish what is in flight, take nothing new, then close.
    func quiesce()
    /// The grace period is over: close now.
    func forceClose()
}

extension DownstreamHandler: ClientConnection {
    var requestsInFlight: Int {
        if let exchange = self.exchange, !exchange.responseComplete { return 1 }
        return 0
    }
}
