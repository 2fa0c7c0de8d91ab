/// `request_id:` — how requests get the id that ties a client's report, Portico's
/// access log and the upstream's logs together.
public struct RequestIDConfig: Sendable, Equatable {
    /// Use a well-formed `X-Request-ID` from the client instead of generating one.
    ///
    /// Trust implication: any client can then choose the id logged for its request
    /// (and sent upstream), e.g. to collide with another request's id in log searches.
    /// Turn it off on listeners facing untrusted clients when ids must be unique, or
    /// keep it on behind a load balancer that sets the id itself.
    public var acceptIncoming: Bool
    /// Which responses carry `X-Request-ID`.
    public var responseHeader: ResponseHeader

    public enum ResponseHeader: String, Sendable, Equatable, CaseIterable {
        /// Every response, forwarded or generated (Envoy's `always_set_request_id_in_response`).
        case always
        /// Only responses with status 400 and above (the id is also in Portico's error pages).
        case errors
    }

    public init(acceptIncoming: Bool = true, responseHeader: ResponseHeader = .always) {
        self.acceptIncoming = acceptIncoming
        self.responseHeader = responseHeader
    }
}

/// `trace_context:` — W3C Trace Context propagation (https://www.w3.org/TR/trace-context/).
public struct TraceContextConfig: Sendable, Equatable {
    /// Give each upstream attempt a `traceparent` with a new span id (continuing the
    /// client's trace, or starting one). When false, `traceparent`/`tracestate` pass
    /// through untouched, as any other field.
    public var enabled: Bool
    /// The `sampled` flag of traces Portico starts. Off by default: Portico records no
    /// spans itself, and a set flag asks every service behind it to record theirs
    /// (§3.2.2.5.1 leaves the decision to the vendor that starts the trace).
    public var sampleNewTraces: Bool

    public init(enabled: Bool = true, sampleNewTraces: Bool = false) {
        self.enabled = enabled
        self.sampleNewTraces = sampleNewTraces
    }
}
