import NIOCore
import PorticoCore

/// Everything one event loop (worker thread) owns: its view of the current
/// configuration, its upstream connection pool, its request-id generator, its
/// access-log batch and the set of client connections it serves.
///
/// A worker is only ever touched on its own event loop, which is what lets the data
/// path run without locks; that confinement is why the `Sendable` conformance is
/// unchecked (it is handed across threads only to be used from its loop).
public final class ProxyWorker: @unchecked Sendable {
    public let eventLoop: any EventLoop
    /// The configuration generation new requests on this loop use.
    private(set) var snapshot: RuntimeSnapshot
    let pool: ConnectionPool
    var requestIDs: RequestIDGenerator
    /// Trace and span ids (W3C Trace Context): fast, not secret, per loop.
    var traceRandom = WorkerRandom()
    let accessLog: AccessLogBatcher?
    private var connections: [ObjectIdentifier: any ClientConnection] = [:]
    private(set) var isQuiescing = false
    private var dateCache = HTTPDateCache()
    /// Reused buffers for writing heads: one for upstream request heads (the exchange
    /// keeps its head until it ends, for a retry), one for client response heads. A head
    /// is written and flushed before the loop handles anything else, so by the next use
    /// the socket has released it and its storage is reused instead of allocating (if a
    /// write were still pending, writing would copy, as it must).
    var requestHeadScratch = ByteBuffer()
    var responseHeadScratch = ByteBuffer()
    private var drainedPromise: EventLoopPromise<Void>?
    /// Balancing state per upstream group of `snapshot` (same indices).
    var groupStates: [WorkerGroupState]
    /// Request, byte and connection counters of this worker (Metrics/WorkerMetrics.swift).
    let metrics: WorkerMetrics

    public init(eventLoop: any EventLoop, snapshot: RuntimeSnapshot, accessLogWriter: AccessLogWriter?) {
        self.eventLoop = eventLoop
        self.snapshot = snapshot
        self.groupStates = snapshot.groups.map { WorkerGroupState(group: $0) }
        self.metrics = WorkerMetrics(snapshot: snapshot)
        self.pool = ConnectionPool(eventLoop: eventLoop)
        self.requestIDs = RequestIDGenerator()
        self.accessLog = accessLogWriter.map { AccessLogBatcher(writer: $0, eventLoop: eventLoop) }
    }

    /// Swaps in a new configuration generation for requests that start from now on.
    public func update(snapshot: RuntimeSnapshot) {
        self.eventLoop.execute {
            self.snapshot = snapshot
            self.groupStates = snapshot.groups.map { WorkerGroupState(group: $0) }
            self.metrics.bind(to: snapshot)
        }
    }

    /// Whether `groupStates[index]` belongs to `group` (false for a request that started
    /// under the previous configuration generation).
    @inline(__always)
    func hasCurrentState(for group: UpstreamGroupRuntime, at index: Int) -> Bool {
        index < self.groupStates.count && self.groupStates[index].group === group
    }

    /// Takes a scratch buffer out (leaving NIO's shared empty buffer in its place, so
    /// the taken storage is uniquely referenced and writes do not copy), cleared.
    static func take(_ scratch: inout ByteBuffer) -> ByteBuffer {
        var buffer = ByteBuffer()
        swap(&buffer, &scratch)
        buffer.clear()
        return buffer
    }

    /// The current `Date` header value, formatted once per second.
    func httpDate() -> String {
        self.dateCache.current()
    }

    func register(_ connection: any ClientConnection) {
        self.connections[ObjectIdentifier(connection)] = connection
        self.metrics.connectionAccepted(on: connection.listener)
    }

    func unregister(_ connection: any ClientConnection) {
        self.connections.removeValue(forKey: ObjectIdentifier(connection))
        if self.isQuiescing && self.connections.isEmpty {
            self.finishDraining()
        }
    }

    /// An h2c connection changes hands from its HTTP/1.1 handler to its HTTP/2 handler:
    /// the same connection, so it is not counted as accepted again.
    func handOver(from old: any ClientConnection, to new: any ClientConnection) {
        self.connections.removeValue(forKey: ObjectIdentifier(old))
        self.connections[ObjectIdentifier(new)] = new
    }

    /// Under `security.max_connections` pressure: closes this worker's connection that
    /// has been idle (waiting for a request, nothing buffered) the longest, and returns
    /// whether there was one. Its global slot passes to the caller. A linear scan, run
    /// only when the cap is reached.
    func evictOldestIdleConnection() -> Bool {
        var oldest: (any ClientConnection)?
        for connection in self.connections.values where connection.isIdleForEviction {
            if let current = oldest, current.idleSince <= connection.idleSince { continue }
            oldest = connection
        }
        guard let oldest else { return false }
        oldest.evictForCapacity()
        return true
    }

    /// Number of open client connections on this worker (for tests and status).
    public func openConnectionCount() -> EventLoopFuture<Int> {
        self.eventLoop.submit { self.connections.count }
    }

    /// A copy of this worker's traffic metrics, taken on its loop (merge the workers'
    /// copies with `TrafficMetrics.merged`).
    public func trafficMetrics() -> EventLoopFuture<TrafficMetrics> {
        self.eventLoop.submit { self.metrics.traffic(connections: self.connections.values) }
    }

    /// Graceful shutdown, step one: idle keep-alive connections close now, busy ones
    /// close after their current response (sent with `Connection: close`). The future
    /// completes when every connection of this worker is gone.
    public func quiesce() -> EventLoopFuture<Void> {
        self.eventLoop.flatSubmit {
            self.isQuiescing = true
            let promise = self.eventLoop.makePromise(of: Void.self)
            self.drainedPromise = promise
            for connection in Array(self.connections.values) {
                connection.quiesce()
            }
            if self.connections.isEmpty {
                self.finishDraining()
            }
            return promise.futureResult
        }
    }

    /// A reload removed a listener: this loop's connections accepted by it close now if
    /// idle, or after their current response (sent with `Connection: close`). Connections
    /// of other listeners are untouched.
    public func quiesceConnections(of lineage: ListenerRuntime.Lineage) {
        self.eventLoop.execute {
            for connection in Array(self.connections.values) where connection.listener.lineage === lineage {
                connection.quiesce()
            }
        }
    }

    /// Graceful shutdown, last step: whatever is still open after the grace period is closed.
    public func forceClose() -> EventLoopFuture<Void> {
        self.eventLoop.submit {
            for connection in Array(self.connections.values) {
                connection.forceClose()
            }
            self.pool.shutdown()
            self.accessLog?.flush()
        }
    }

    private func finishDraining() {
        self.pool.shutdown()
        self.accessLog?.flush()
        self.drainedPromise?.succeed()
        self.drainedPromise = nil
    }
}
