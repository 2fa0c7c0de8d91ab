import NIOCore
import NIOHTTP1
import PorticoCore

/// The state of one client request while Portico answers it: where its body goes,
/// which upstream attempt carries it, and what has been sent back.
///
/// Owned by the `DownstreamHandler` of the connection; lives on its event loop.
final class Exchange {
    /// Where request body bytes go as they arrive.
    enum BodyTarget {
        /// Left unread in the connection's inbound buffer until an upstream connection
        /// is attached (reads pause meanwhile).
        case queue
        /// Written to the attached upstream connection.
        case upstream
        /// Read and dropped (the request was answered locally).
        case discard
    }

    /// Where the upstream request's `Host` comes from.
    enum HostSource {
        /// The client's `Host` line goes unchanged.
        case keep
        /// This value (the authority of an absolute-form target).
        case fixed(String)
        /// The chosen server's configured `host:port` (`preserve_host: false`, or an
        /// HTTP/1.0 request without `Host`).
        case server
    }

    /// How the rest of the request body is delimited on the client connection.
    enum RequestBody {
        case none
        case contentLength(remaining: Int)
        case chunked(ChunkedScanner)
    }

    /// How the response body is written to the client.
    enum ResponseBody {
        /// Bytes pass unchanged (Content-Length bodies, chunked to an HTTP/1.1 client,
        /// close-delimited to an HTTP/1.0 client).
        case passThrough
        /// Chunked from the origin, to an HTTP/1.0 client: chunk framing removed.
        case dechunk(ChunkedScanner)
        /// Close-delimited from the origin, to an HTTP/1.1 client: chunk framing added.
        case encodeChunks
    }

    private(set) var head: ParsedRequestHead
    private(set) var method: HTTPMethod
    private(set) var version: HTTPVersion
    private(set) var startTime: NIODeadline
    private(set) var wallClockSeconds: Int
    var routeName = ""
    var host = ""
    /// Set by `identifyRequest` when the request starts.
    var requestID: RequestIdentifier = .generated(RequestID(rawValue: 0))
    /// The trace context sent upstream: the incoming trace (or a new one) with the
    /// current attempt's span id as parent-id (0 before the first attempt); nil when
    /// propagation is off.
    var trace: TraceContext?
    /// The client's `traceparent` was valid: its `tracestate` goes upstream too.
    var keepTraceState = false
    /// Where the parent-id's hex digits are in `upstreamHead`, to patch per attempt.
    var traceParentOffset: Int?
    /// The client's address as logged and limited: the peer, or what a trusted proxy said.
    var clientIP = "-"
    var pathWasNormalized = false

    // Edge security
    /// Response fields Portico adds (RateLimit headers).
    var responseExtraFields: [(String, String)] = []
    /// Request fields added upstream (forwarded JWT claims, forward-auth headers).
    var requestExtraFields: [(String, String)] = []
    var stripAuthorization = false
    /// The route's `max_concurrent_requests` slot this request holds.
    var concurrencySlot: CountingLimiter?
    /// A `rate_limit.delay` wait in progress.
    var delayTask: Scheduled<Void>?
    /// `max_body_size` for bodies whose size is not known up front (chunked).
    var bodyLimit: Int?

    // Request side
    var requestComplete = false
    var requestBody: RequestBody
    var bodyTarget: BodyTarget = .queue
    var expectsContinue: Bool
    /// The protocols the client asked to switch to, when the request may become a
    /// tunnel (`DownstreamHandler+Tunnel.swift`); nil for every other request.
    var upgrade: UpgradeOffer?

    // Upstream side
    var group: UpstreamGroupRuntime?
    var groupIndex = 0
    /// The group's servers as they were when the first attempt chose (indices refer to it).
    var members: GroupMembers?
    var balanceRequest = BalanceRequest()
    /// The sticky cookie's value as the client sent it (`balance: sticky`).
    var stickyToken: Substring?
    /// Server of the current (or last) attempt.
    var server: UpstreamServer?
    var serverIndex = 0
    var tried = ServerSet()
    var attempts = 0
    var firstAttemptStart: NIODeadline?
    var lastFailure: AttemptFailure?
    /// Every failed attempt so far failed to connect (no server could be reached).
    var onlyConnectFailures = true
    var freshConnectionRetries = 0
    /// The server whose in-flight count this request holds, if counted.
    var inFlightState: ServerState?
    /// Waiting in the group's queue under this id (all servers at `max_connections`).
    var queueID: UInt64?
    var queueTimeout: Scheduled<Void>?
    /// How the upstream `Host` is chosen (the server's own name depends on the attempt).
    var hostSource: HostSource = .keep
    /// Rewritten request target (strip_prefix, absolute form), if any.
    var upstreamTarget: String?
    /// The complete upstream request head, kept for a retry.
    var upstreamHead: ByteBuffer?
    /// The request body bytes sent so far, kept while they fit `retries.replay_buffer`
    /// so another server can be sent the same request.
    var replay: ByteBuffer?
    /// Body bytes went upstream that `replay` no longer holds: no more retries.
    var replayOverflowed = false
    var continueSent = false
    var upstream: UpstreamHandler?
    var upstreamAddress: String?
    var upstreamStart: NIODeadline?
    var upstreamDuration: TimeAmount?
    var upstreamKeepAlive = false
    var bodyBytesForwarded = 0
    var requestForwardedComplete = false
    var route: CompiledRoute?
    /// Index of `route` in its generation's `RuntimeSnapshot.routes` (-1: none), for the
    /// worker's per-route metric slots.
    var routeIndex = -1

    // Response side
    var responseStarted = false
    var responseComplete = false
    var responseBody: ResponseBody = .passThrough
    var status = 0
    var bytesSent = 0
    /// The connection closes after this response (client asked, HTTP/1.0 without
    /// keep-alive, unread request body, shutdown, or a framing we cannot continue after).
    var closeAfterResponse = false

    // Caching and compression (nil on routes without them: no cost there)
    /// The request's cache state on a route with `cache:` (`DownstreamHandler+Cache.swift`).
    var cache: CacheExchange?
    /// Decoding, storing and compressing of the forwarded response body, when any of
    /// them applies (`ResponseBodyTransform`).
    var bodyTransform: ResponseBodyTransform?

    init(head: ParsedRequestHead, startTime: NIODeadline, wallClockSeconds: Int) {
        self.head = head
        self.method = head.method
        self.version = head.version
        self.startTime = startTime
        self.wallClockSeconds = wallClockSeconds
        self.expectsContinue = head.expectsContinue
        self.requestBody = .none
        self.setRequestBody(from: head)
    }

    /// Makes a finished exchange ready for the connection's next request (saves an
    /// allocation per request). Only call it on an exchange nothing else references.
    func reset(head: ParsedRequestHead, startTime: NIODeadline, wallClockSeconds: Int) {
        self.head = head
        self.method = head.method
        self.version = head.version
        self.startTime = startTime
        self.wallClockSeconds = wallClockSeconds
        self.routeName = ""
        self.host = ""
        self.requestID = .generated(RequestID(rawValue: 0))
        self.trace = nil
        self.keepTraceState = false
        self.traceParentOffset = nil
        self.clientIP = "-"
        self.pathWasNormalized = false
        if !self.responseExtraFields.isEmpty { self.responseExtraFields = [] }
        if !self.requestExtraFields.isEmpty { self.requestExtraFields = [] }
        self.stripAuthorization = false
        self.concurrencySlot = nil
        self.delayTask = nil
        self.bodyLimit = nil
        self.requestComplete = false
        self.bodyTarget = .queue
        self.expectsContinue = head.expectsContinue
        self.upgrade = nil
        self.group = nil
        self.groupIndex = 0
        self.members = nil
        self.balanceRequest = BalanceRequest()
        self.stickyToken = nil
        self.server = nil
        self.serverIndex = 0
        self.tried.removeAll()
        self.attempts = 0
        self.firstAttemptStart = nil
        self.lastFailure = nil
        self.onlyConnectFailures = true
        self.freshConnectionRetries = 0
        self.inFlightState = nil
        self.queueID = nil
        self.queueTimeout = nil
        self.hostSource = .keep
        self.upstreamTarget = nil
        self.upstreamHead = nil
        self.replay = nil
        self.replayOverflowed = false
        self.continueSent = false
        self.upstream = nil
        self.upstreamAddress = nil
        self.upstreamStart = nil
        self.upstreamDuration = nil
        self.upstreamKeepAlive = false
        self.bodyBytesForwarded = 0
        self.requestForwardedComplete = false
        self.route = nil
        self.routeIndex = -1
        self.responseStarted = false
        self.responseComplete = false
        self.responseBody = .passThrough
        self.status = 0
        self.bytesSent = 0
        self.closeAfterResponse = false
        self.cache = nil
        self.bodyTransform = nil
        self.setRequestBody(from: head)
    }

    /// Lets go of everything that pins memory (the received head bytes, the upstream
    /// head, the replay copy) while the exchange waits for the connection's next
    /// request: an idle keep-alive connection otherwise keeps its last receive buffer
    /// alive (measured: ~2 KiB per idle connection).
    func releaseBuffers() {
        self.head = .empty
        self.upstreamHead = nil
        self.replay = nil
        self.upstream = nil
        self.route = nil
        self.members = nil
        self.server = nil
        self.group = nil
        self.stickyToken = nil
        self.requestID = .generated(RequestID(rawValue: 0))
        self.host = ""
        self.upstreamAddress = nil
        self.cache = nil
        self.bodyTransform = nil
    }

    private func setRequestBody(from head: ParsedRequestHead) {
        switch head.framing {
        case .none, .contentLength(0):
            self.requestBody = .none
            self.requestComplete = true
        case .contentLength(let length):
            self.requestBody = .contentLength(remaining: length)
        case .chunked:
            self.requestBody = .chunked(ChunkedScanner(mode: .validate))
        }
    }

    /// Whether the request could be sent again in full: no body, or every body byte sent
    /// so far is still in `replay`.
    var bodyReplayable: Bool {
        !self.replayOverflowed
    }

    var hasBody: Bool {
        if case .none = self.requestBody { return false }
        return true
    }
}
