/// `access_log:` — where request lines go, in which format, with which fields, and how
/// much may wait in memory when the destination is slow.
public struct AccessLogConfig: Sendable, Equatable {
    public enum Destination: Sendable, Equatable {
        case off
        case stdout
        case stderr
        case file(String)
    }

    public enum Format: String, Sendable, Equatable, CaseIterable {
        /// Combined-log-like text with upstream fields appended.
        case text
        /// One JSON object per line.
        case json
    }

    /// The default `buffer_limit`: 8 MiB, several seconds of lines at high request rates.
    public static let defaultBufferLimit = 8 * 1024 * 1024

    public var destination: Destination
    public var format: Format
    /// The fields of each line, in order; `nil` keeps the built-in layout of `format`
    /// (nginx `combined` plus Portico's fields for text, all fields for JSON).
    public var fields: [AccessLogField]?
    /// Most bytes of formatted lines waiting to be written. Beyond it whole batches are
    /// dropped and counted, so a stalled disk or pipe costs log lines, never event-loop
    /// time or unbounded memory (nginx `access_log ... buffer=` blocks instead).
    public var bufferLimit: Int

    public init(
        destination: Destination = .stdout,
        format: Format = .text,
        fields: [AccessLogField]? = nil,
        bufferLimit: Int = AccessLogConfig.defaultBufferLimit
    ) {
        self.destination = destination
        self.format = format
        self.fields = fields
        self.bufferLimit = bufferLimit
    }

    /// The line layout of requests on a listener without its own `access_log`.
    public var layout: AccessLogLayout {
        AccessLogLayout(format: self.format, fields: self.fields)
    }
}

/// How lines are laid out: a format and (optionally) the selected fields.
public struct AccessLogLayout: Sendable, Equatable {
    public var format: AccessLogConfig.Format
    public var fields: [AccessLogField]?

    public init(format: AccessLogConfig.Format, fields: [AccessLogField]? = nil) {
        self.format = format
        self.fields = fields
    }
}

/// `listeners[].access_log:` — a listener's own format and fields. Each key that is
/// absent inherits the global `access_log` value; the destination is always global
/// (one file, one writer, one rotation).
public struct ListenerAccessLogConfig: Sendable, Equatable {
    public var format: AccessLogConfig.Format?
    public var fields: [AccessLogField]?

    public init(format: AccessLogConfig.Format? = nil, fields: [AccessLogField]? = nil) {
        self.format = format
        self.fields = fields
    }

    /// The layout for this listener's requests, over the global one.
    public func layout(over global: AccessLogLayout) -> AccessLogLayout {
        AccessLogLayout(format: self.format ?? global.format, fields: self.fields ?? global.fields)
    }
}

/// One selectable access-log field. The raw value is the name used in `fields:` and
/// the key of the JSON object.
public enum AccessLogField: String, Sendable, Equatable, CaseIterable {
    /// When the request head arrived (text: `[23/Nov/2026:01:02:03 +0000]`, JSON: ISO 8601).
    case time
    /// The client address (after `security.trusted_proxies`).
    case client
    case method
    /// The request target as received.
    case target
    /// `HTTP/1.1` or `HTTP/1.0`.
    case `protocol`
    case host
    case status
    /// Response body bytes sent to the client (for an Upgrade tunnel: bytes from the
    /// origin through the tunnel).
    case bytesSent = "bytes_sent"
    /// Request body bytes forwarded upstream (for an Upgrade tunnel: bytes from the
    /// client through the tunnel). Not in the built-in layouts.
    case bytesReceived = "bytes_received"
    /// What the cache did (`hit`, `miss`, `stale`, `revalidated`, `expired`, `bypass`,
    /// `uncacheable`; the words of `Cache-Status`), `-` on routes without `cache:`.
    /// Not in the built-in layouts.
    case cacheStatus = "cache_status"
    /// Seconds from the request head to the end of the response.
    case duration
    /// `host:port` of the server of the last upstream attempt.
    case upstreamAddr = "upstream_addr"
    /// Seconds the last upstream attempt took to answer.
    case upstreamDuration = "upstream_duration"
    case upstreamGroup = "upstream_group"
    /// Upstream attempts made (more than 1 after retries).
    case attempts
    case requestID = "request_id"
    /// The W3C trace id (32 hex digits) the request was forwarded under.
    case traceID = "trace_id"
    /// The span id Portico sent upstream as parent-id on the last attempt.
    case spanID = "span_id"
    /// The route's name.
    case route
    /// The listener's name.
    case listener
    case userAgent = "user_agent"
    case referer

    public static var names: [String] { allCases.map(\.rawValue) }
}
