/// `listeners[].http2`: HTTP/2 to clients on one listener (RFC 9113).
///
/// On a TLS listener HTTP/2 is chosen by ALPN (`h2`); on a plain listener only with
/// `cleartext: true`, by the client's connection preface ("prior knowledge", RFC 9113
/// §3.3). The remaining keys are the SETTINGS Portico advertises (§6.5.2) and the
/// per-stream flow-control window; the defaults suit a general-purpose edge proxy.
/// See docs/http2.md.
public struct HTTP2Config: Sendable, Equatable {
    /// Accept h2c with prior knowledge on a non-TLS listener (no `Upgrade: h2c`, which
    /// RFC 9113 §3.1 deprecated). Off by default: a plain listener speaks HTTP/1.1 only.
    public var cleartext: Bool
    /// SETTINGS_MAX_CONCURRENT_STREAMS: requests one connection may have open at once.
    public var maxConcurrentStreams: Int
    /// SETTINGS_MAX_HEADER_LIST_SIZE: the decoded header block, each field counted as
    /// name + value + 32 bytes (§6.5.2). The HTTP/1.1 limits (`limits.max_header_bytes`,
    /// `limits.max_header_count`) still apply to the request once mapped.
    public var maxHeaderListSize: Int
    /// SETTINGS_INITIAL_WINDOW_SIZE and the window each stream keeps open: how much of a
    /// request body a client may send ahead of Portico forwarding it (§6.9.2).
    public var initialWindowSize: Int
    /// SETTINGS_MAX_FRAME_SIZE: the largest frame payload Portico accepts (§4.2).
    public var maxFrameSize: Int

    public static let defaultMaxConcurrentStreams = 128
    public static let defaultMaxHeaderListSize = 64 * 1024
    public static let defaultInitialWindowSize = 1024 * 1024
    public static let defaultMaxFrameSize = 16 * 1024
    /// RFC 9113 §6.9.1: windows may not exceed 2^31-1.
    public static let maxWindowSize = Int(Int32.max)
    /// RFC 9113 §6.5.2: SETTINGS_MAX_FRAME_SIZE lies between 2^14 and 2^24-1.
    public static let frameSizeRange = (1 << 14)...((1 << 24) - 1)

    public init(
        cleartext: Bool = false,
        maxConcurrentStreams: Int = HTTP2Config.defaultMaxConcurrentStreams,
        maxHeaderListSize: Int = HTTP2Config.defaultMaxHeaderListSize,
        initialWindowSize: Int = HTTP2Config.defaultInitialWindowSize,
        maxFrameSize: Int = HTTP2Config.defaultMaxFrameSize
    ) {
        self.cleartext = cleartext
        self.maxConcurrentStreams = maxConcurrentStreams
        self.maxHeaderListSize = maxHeaderListSize
        self.initialWindowSize = initialWindowSize
        self.maxFrameSize = maxFrameSize
    }
}
