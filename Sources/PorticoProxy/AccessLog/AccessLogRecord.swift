import NIOCore
import PorticoCore

/// Everything one access-log line says about one request.
struct AccessLogRecord {
    /// Wall-clock time the request head arrived, in seconds since the Unix epoch.
    var timestamp: Int
    var client: String
    var method: String
    var target: String
    var version: String
    var host: String
    var status: Int
    /// Response body bytes sent to the client.
    var bytesSent: Int
    var duration: TimeAmount
    var upstreamAddress: String?
    var upstreamDuration: TimeAmount?
    /// The upstream group's name, for requests forwarded (or meant to be).
    var upstreamGroup: String? = nil
    /// Upstream attempts made (more than 1 after a retry or failover).
    var attempts: Int = 0
    var requestID: RequestIdentifier
    /// The trace the request was forwarded under (the parent-id is the span id sent
    /// upstream on the last attempt, 0 when no attempt was made); nil when trace
    /// context propagation is off.
    var trace: TraceContext? = nil
    var route: String
    var userAgent: String
    var referer: String
    /// The listener's name.
    var listener: String = ""
    /// Request body bytes forwarded upstream; for an Upgrade tunnel, the bytes the
    /// client sent through it.
    var bytesReceived: Int = 0
    /// The cache's outcome on routes with `cache:` (`CacheOutcome` raw value), else nil.
    var cacheStatus: String? = nil
}
