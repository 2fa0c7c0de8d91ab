import NIOCore
import NIOHTTP2
import PorticoCore

/// A listener's `http2:` settings as swift-nio-http2 configuration, with the flood
/// protections Portico relies on. Values not set here are NIOHTTP2 1.46's defaults,
/// which docs/http2.md lists:
///
/// - rapid reset (CVE-2023-44487): at most 200 RST_STREAM frames from the client per
///   30 s (`streamResetFrameRateLimit`), and at most 200 stream errors per 30 s
///   (`streamErrorRateLimit`); beyond either, GOAWAY ENHANCE_YOUR_CALM and close. Each
///   reset stream also closes its stream channel, so its `DownstreamHandler` abandons
///   the upstream connection or request at once;
/// - "glitches" (protocol abuse that is not quite an error): 200 per connection;
/// - CONTINUATION floods (CVE-2024-27316 class): at most 5 CONTINUATION frames after a
///   HEADERS frame, and the header list bounded by SETTINGS_MAX_HEADER_LIST_SIZE;
/// - PING / SETTINGS / PRIORITY floods: at most 200 such frames per 30 s
///   (`controlFrameRateLimit`), and at most `maximumBufferedControlFrames` answers
///   queued for a client that does not read (then the connection is closed);
/// - empty DATA frames: at most 1 in a row without END_STREAM.
enum HTTP2ListenerSettings {
    /// Answers (PING ACKs, SETTINGS ACKs, RST_STREAMs) queued for a client that is not
    /// reading before the connection is dropped; NIOHTTP2's default is 10,000.
    static let maximumBufferedControlFrames = 1_000
    /// Response bytes a stream may have buffered before it reads as unwritable (which
    /// pauses reading its upstream response).
    static let outboundHighWatermark = 64 * 1024
    static let outboundLowWatermark = 32 * 1024

    static func configuration(_ config: HTTP2Config) -> NIOHTTP2Handler.Configuration {
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: config.maxConcurrentStreams),
            HTTP2Setting(parameter: .maxHeaderListSize, value: config.maxHeaderListSize),
            HTTP2Setting(parameter: .initialWindowSize, value: config.initialWindowSize),
            HTTP2Setting(parameter: .maxFrameSize, value: config.maxFrameSize),
            // RFC 9113 §8.4: servers do not push; say so.
            HTTP2Setting(parameter: .enablePush, value: 0),
        ]
        connection.headerBlockValidation = .enabled
        connection.contentLengthValidation = .enabled
        connection.maximumBufferedControlFrames = Self.maximumBufferedControlFrames
        // The connection window covers several streams' windows, so one stream whose
        // upstream is slow (its window full) does not stall the others (RFC 9113 §5.2).
        connection.targetWindowSize = min(max(config.initialWindowSize * 4, 65_535), HTTP2Config.maxWindowSize)

        var stream = NIOHTTP2Handler.StreamConfiguration()
        stream.targetWindowSize = max(config.initialWindowSize, 1)
        stream.outboundBufferSizeHighWatermark = Self.outboundHighWatermark
        stream.outboundBufferSizeLowWatermark = Self.outboundLowWatermark
        return NIOHTTP2Handler.Configuration(connection: connection, stream: stream)
    }
}
