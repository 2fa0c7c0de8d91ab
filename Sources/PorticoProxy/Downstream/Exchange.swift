import NIOCore
import NIOHTTP1
import PorticoCore

/// The state of one client request while Portico answers it: where its body goes,
/// which upstream attempt carries it, and what has been sent back.
///
/// Owned by the `DownstreamHandler` of the connection; lives on its event loop.
final class Exchange {
    /// Where request body parts go as they arrive.
    enum BodyTarget {
        /// Held in the connection's pending queue until an upstream connection is attached.
        case queue
        /// Written to the attached upstream connection.
        case upstream
        /// Read and dropped (the request was answered locally).
        case discard
    }

    let head: HTTPRequestHead
    let startTime: NIODeadline
    let wallClockSeconds: Int
    let framing: BodyFraming
    var routeName = ""
    var host = ""
    var requestID: String?

    // Request side
    var requestComplete = false
    var bodyTarget: BodyTarget = .queue
    var expectsContinue = false

    // Upstream side
    var group: UpstreamGroupRuntime?
    var serverIndex = 0
    var serversTried = 0
    var freshConnectionRetries = 0
    var upstreamHead: HTTPRequestHead?
    var upstream: UpstreamHandler?
    var upstreamAddress: String?
    var upstreamStart: NIODeadline?
    var upstreamDuration: TimeAmount?
    var upstreamKeepAlive = false
    var bodyBytesForwarded = 0
    var requestForwardedComplete = false
    var responseRules = HeaderRules()

    // Response side
    var responseStarted = false
    var responseComplete = false
    var status = 0
    var bytesSent = 0
    /// The connection closes after this response (client asked, HTTP/1.0 without
    /// keep-alive, unread request body, shutdown, or a framing we cannot continue after).
    var closeAfterResponse = false

    init(head: HTTPRequestHead, framing: BodyFraming, startTime: NIODeadline, wallClockSeconds: Int) {
        self.head = head
        self.framing = framing
        self.startTime = startTime
        self.wallClockSeconds = wallClockSeconds
    }

    var hasBody: Bool {
        switch self.framing {
        case .none: return false
        case .contentLength(let length): return length > 0
        case .chunked: return true
        }
    }
}
