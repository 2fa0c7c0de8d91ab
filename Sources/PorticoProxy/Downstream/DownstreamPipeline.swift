import NIOCore
import NIOHTTP1
import PorticoCore

/// Builds the pipeline of an accepted client connection.
public enum DownstreamPipeline {
    /// `RequestHeadWatch` → NIO HTTP/1 decoder/encoder → `DownstreamHandler`.
    ///
    /// NIO's own pipelining helper and protocol-error handler are left out: the
    /// downstream handler orders pipelined responses itself without pausing reads per
    /// request, and answers parse errors with the right status (400/431). Outbound
    /// header validation is off because every header was validated on the way in
    /// (parser or config load); framing headers are set by the forwarder.
    public static func configure(_ channel: any Channel, worker: ProxyWorker, scheme: ForwardedHeaders.Proto = .http) throws {
        let pipeline = channel.pipeline.syncOperations
        let handler = DownstreamHandler(worker: worker, scheme: scheme)
        try pipeline.addHandler(RequestHeadWatch(owner: handler))
        var encoderConfiguration = HTTPResponseEncoder.Configuration()
        encoderConfiguration.automaticallySetFramingHeaders = false
        try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: false,
            withErrorHandling: false,
            withOutboundHeaderValidation: false,
            withEncoderConfiguration: encoderConfiguration
        )
        try pipeline.addHandler(handler)
    }
}

/// Sits in front of the HTTP decoder and tells the downstream handler when bytes
/// arrive while it waits for a request head, so the slow-client (header) timeout
/// starts at the first byte rather than at the end of the keep-alive wait.
final class RequestHeadWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private weak var owner: DownstreamHandler?

    init(owner: DownstreamHandler) {
        self.owner = owner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.owner?.clientBytesArrived()
        context.fireChannelRead(data)
    }
}
